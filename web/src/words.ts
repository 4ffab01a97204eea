// The words people use, pure: status labels instead of enum values, "All
// categories" instead of `*`, an order's title instead of its id, and where
// a problem is in words (its JSON pointer stays for a tooltip).
import { parsePointer } from './problems';

const STATUS_LABELS: Record<string, string> = {
  pending: 'Waiting',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
  cancelled: 'Cancelled',
  new: 'New',
  in_production: 'In production',
  delivered: 'Delivered',
};

/** "Words like these" from "words_like_these" or "words-like-these". */
export function humanize(key: string): string {
  const s = key.replace(/[_-]+/g, ' ').trim();
  return s ? s[0].toUpperCase() + s.slice(1) : key;
}

/** "In production" for `in_production`, "Running" for `running`; unknown ones humanized. */
export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? humanize(status);
}

/** "All categories" for `*`, else the category's name (or its key when unknown). */
export function categoryLabel(key: string, categories: readonly { key: string; name?: string }[] = []): string {
  if (key === '*') return 'All categories';
  return categories.find((c) => c.key === key)?.name ?? key;
}

export function categoriesText(keys: readonly string[] | undefined, categories: readonly { key: string; name?: string }[] = []): string {
  if (!keys?.length) return 'None';
  if (keys.includes('*')) return 'All categories';
  return keys.map((k) => categoryLabel(k, categories)).join(', ');
}

/** An order's title: its customer reference, else its customer, else its date. */
export function orderTitle(order: { id: string; customer?: string | null; reference?: string | null; created_at?: string }): string {
  if (order.reference && order.customer) return `${order.reference} · ${order.customer}`;
  if (order.reference) return `Order ${order.reference}`;
  if (order.customer) return `Order for ${order.customer}`;
  const d = order.created_at ? new Date(order.created_at) : undefined;
  return d && !Number.isNaN(d.getTime()) ? `Order of ${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' })}` : 'Order';
}

// A list's items: "lines/0" is "Line 1".
const SINGULAR: Record<string, string> = {
  lines: 'Line',
  nodes: 'Node',
  edges: 'Connection',
  items: 'Item',
  materials: 'Material',
  prices: 'Price',
  categories: 'Category',
  errors: 'Error',
};
// Keys whose words differ from their humanized key.
const WORDS: Record<string, string> = {
  sku: 'SKU',
  cad_file: 'CAD file',
  step_path: 'STEP file',
  glb: 'GLB',
  bbox: 'Bounding box',
  fps: 'Frames per second',
  output_type: 'Output type',
  params: 'Parameters',
  context: 'Run context',
};
// Wrappers the editor sends around a document ({"draft": …}): no word of their own.
const WRAPPERS = new Set(['draft']);

/**
 * Where a JSON pointer leads, in words: "/lines/0/quantity" is
 * "Line 1 › Quantity", "/product/cad_file" is "Product › CAD file", "" is
 * "The whole document". `skip` leaves out the first segments (already said).
 */
export function pointerWords(pointer: string | undefined, skip = 0): string {
  const parts = parsePointer(pointer ?? '').slice(skip);
  const words: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (i === 0 && skip === 0 && WRAPPERS.has(p)) continue;
    const next = parts[i + 1];
    if (next !== undefined && /^\d+$/.test(next) && !(p in WORDS)) {
      words.push(`${SINGULAR[p] ?? humanize(p.replace(/s$/, ''))} ${Number(next) + 1}`);
      i++;
      continue;
    }
    if (/^\d+$/.test(p)) words.push(`Item ${Number(p) + 1}`);
    else words.push(WORDS[p] ?? humanize(p));
  }
  return words.length ? words.join(' › ') : 'The whole document';
}
