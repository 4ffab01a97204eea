// Catalog and order logic, pure: prices, intake progress, and where a
// preflight problem's pointer leads. Prices and rules come from the server;
// the estimate here only repeats the tier's table for the order form.
import type { CadIntake, JSONSchema, OrderLine, OutputType, PricingTier, Product } from './types';
import { properties } from './params';
import { parsePointer } from './problems';
import { stepOfField, wizardUrl } from './wizard';

/** "140 EUR" as the locale writes money; a missing amount is a dash. */
export function formatMoney(amount: number | undefined | null, currency: string | undefined, locale = 'en-GB'): string {
  if (amount === undefined || amount === null || !Number.isFinite(amount)) return '—';
  if (!currency) return amount.toFixed(2);
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
  } catch {
    return `${amount.toFixed(2)} ${currency}`;
  }
}

/** The unit price a tier lists for an output type's artifact kind, if any. */
export function tierPrice(ot: OutputType | undefined, tiers: readonly PricingTier[]): { price: number; currency: string } | undefined {
  if (!ot?.pricing_tier || !ot.artifact_kind) return undefined;
  const tier = tiers.find((t) => t.key === ot.pricing_tier);
  const price = tier?.prices?.[ot.artifact_kind];
  return tier && typeof price === 'number' ? { price, currency: tier.currency } : undefined;
}

export interface EstimateLine {
  output_type: string;
  quantity: number;
}

/** The order form's running total; undefined parts (no price, mixed currencies) say why. */
export function estimateOrder(
  lines: readonly EstimateLine[],
  outputTypes: readonly OutputType[],
  tiers: readonly PricingTier[],
): { total?: number; currency?: string; lines: (number | undefined)[]; note?: string } {
  const out: (number | undefined)[] = [];
  let total = 0;
  const currencies = new Set<string>();
  let missing = false;
  for (const l of lines) {
    const p = tierPrice(
      outputTypes.find((o) => o.key === l.output_type),
      tiers,
    );
    if (!p || !Number.isFinite(l.quantity)) {
      out.push(undefined);
      missing = true;
      continue;
    }
    currencies.add(p.currency);
    out.push(p.price * l.quantity);
    total += p.price * l.quantity;
  }
  if (currencies.size > 1) return { lines: out, note: `the lines are priced in ${[...currencies].join(' and ')}; an order is in one currency` };
  if (missing) return { lines: out, currency: [...currencies][0], note: 'some lines have no price yet' };
  return { total, currency: [...currencies][0], lines: out };
}

/** Whether an output type takes per-line overrides: only a graph rollout with a linked workflow does. */
export function takesLineOverrides(ot: OutputType | undefined): boolean {
  return !!ot && !!ot.workflow && ot.rollout === 'graph';
}

export interface IntakeView {
  status: string;
  /** 0..1 */
  fraction: number;
  label: string;
  done: boolean;
}

/** What the progress bar shows for a CAD file's intake. */
export function intakeView(intake: CadIntake | null | undefined): IntakeView {
  if (!intake) return { status: 'none', fraction: 0, label: 'No CAD file', done: false };
  const p = intake.progress;
  const fraction = p ? Math.max(0, Math.min(1, p.fraction)) : intake.status === 'succeeded' ? 1 : 0;
  const done = intake.status !== 'running';
  let label: string;
  if (intake.status === 'running') {
    label = p ? `${p.done} of ${p.total} steps${p.running.length ? `, running ${p.running.join(', ')}` : ''}` : 'running';
  } else if (intake.status === 'succeeded') {
    label = p ? `done: ${p.done} of ${p.total} steps` : 'done';
  } else {
    label = `${intake.status}${p ? ` after ${p.done} of ${p.total} steps` : ''}`;
  }
  return { status: intake.status, fraction, label, done };
}

export type PreflightTarget =
  | { kind: 'product'; href: string; label: string }
  | { kind: 'output_type'; href: string; label: string }
  | { kind: 'line'; field: string; label: string }
  | { kind: 'none' };

/**
 * Preflight pointers address the order line as GET /api/order-lines/{id}
 * shows it: /product/..., /intake/..., /cad_file/..., /output_type/<field>/..., /overrides/...
 * Each leads to the page where it can be fixed.
 */
export function preflightTarget(pointer: string, line: Pick<OrderLine, 'product' | 'output_type'>, schema?: JSONSchema): PreflightTarget {
  const [head, field] = parsePointer(pointer);
  if (head === 'product' || head === 'intake' || head === 'cad_file') return { kind: 'product', href: `/products/${encodeURIComponent(line.product)}`, label: `product ${line.product}` };
  if (head === 'output_type') {
    const step = stepOfField(field, schema);
    return { kind: 'output_type', href: wizardUrl(line.output_type, step), label: `output type ${line.output_type}${step ? ` (${step.replace('_', ' ')})` : ''}` };
  }
  if (head === 'overrides' || head === 'quantity') return { kind: 'line', field: head, label: `this line's ${head}` };
  return { kind: 'none' };
}

/** The run ids of a line, newest dispatch first, each with its shadow partner. */
export function lineRuns(line: Pick<OrderLine, 'runs'>): { run: string; shadow?: string; at?: string }[] {
  return [...(line.runs ?? [])].reverse().map((r) => ({ run: r.run_id, shadow: r.shadow_run_id ?? undefined, at: r.dispatched_at }));
}

/** Line statuses that change on their own (a run is going), so the page keeps polling. */
export function lineIsLive(status: string): boolean {
  return status === 'in_production';
}

/** Lines the server would refuse to dispatch again (409): one in production or delivered. */
export function dispatchBlocked(status: string): string | undefined {
  return status === 'in_production' || status === 'delivered' ? `the line is ${status.replace('_', ' ')}` : undefined;
}

/** A file name for an upload: the browser's, else a stable default. */
export function uploadName(file: { name?: string } | undefined): string {
  return file?.name && file.name.trim() ? file.name : 'upload.step';
}

/** Rows for a flat settings object (legacy settings, mappings): nested objects flattened with dots. */
export function settingRows(obj: Record<string, unknown> | null | undefined, prefix = ''): [string, unknown][] {
  if (!obj) return [];
  const rows: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(...settingRows(v as Record<string, unknown>, `${prefix}${k}.`));
    else rows.push([`${prefix}${k}`, v]);
  }
  return rows;
}

/**
 * The body of a PUT: only the fields the API's ProductInput schema names (a
 * GET carries more, such as timestamps, which a PUT may refuse).
 */
export function productInput(p: Product, inputSchema: JSONSchema | undefined): Partial<Product> {
  const allowed = Object.keys(properties(inputSchema)).filter((k) => !String(properties(inputSchema)[k].description ?? '').startsWith('Ignored'));
  const keep = allowed.length ? new Set(allowed) : new Set(['id', 'name', 'sku', 'category', 'cad_file']);
  return Object.fromEntries(Object.entries(p).filter(([k]) => keep.has(k))) as Partial<Product>;
}

