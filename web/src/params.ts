// Settings helpers: defaults from a JSON Schema, which values are overrides,
// and the rjsf uiSchema a node definition asks for.
import type { JSONSchema, NodeDefinition } from './types';

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function properties(schema: JSONSchema | undefined): Record<string, JSONSchema> {
  const p = schema?.properties;
  return p && typeof p === 'object' ? (p as Record<string, JSONSchema>) : {};
}

/** The default of each top-level property that declares one. */
export function schemaDefaults(schema: JSONSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(properties(schema))) if ('default' in s) out[k] = s.default;
  return out;
}

/** A value is overridden when it is set and differs from the default. */
export function isOverridden(values: Record<string, unknown>, defaults: Record<string, unknown>, key: string): boolean {
  return key in values && values[key] !== undefined && !deepEqual(values[key], defaults[key]);
}

export function overriddenKeys(values: Record<string, unknown>, defaults: Record<string, unknown>): string[] {
  return Object.keys(values).filter((k) => isOverridden(values, defaults, k));
}

/**
 * Folds one form change into the stored overrides: a changed field equal to its
 * default (or emptied) drops its override, any other changed value is kept.
 */
export function applyFormChange(
  values: Record<string, unknown>,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const next = { ...values };
  let changed = false;
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (deepEqual(before[k], after[k])) continue;
    changed = true;
    if (after[k] === undefined || (k in defaults && deepEqual(after[k], defaults[k]))) delete next[k];
    else next[k] = after[k];
  }
  return changed ? next : values;
}

export function resetKey(values: Record<string, unknown>, key: string): Record<string, unknown> {
  if (!(key in values)) return values;
  const next = { ...values };
  delete next[key];
  return next;
}

/** rjsf uiSchema from the definition's field order and widgets. */
export function uiSchemaFor(def: Pick<NodeDefinition, 'param_schema' | 'ui'>): Record<string, unknown> {
  const props = properties(def.param_schema);
  const ui: Record<string, unknown> = {};
  const order = (def.ui.field_order ?? []).filter((k) => k in props);
  if (order.length) ui['ui:order'] = [...order, '*'];
  for (const [k, w] of Object.entries(def.ui.widgets ?? {})) {
    if (!(k in props)) continue;
    if (typeof w === 'string') ui[k] = { 'ui:widget': w };
    else if (w && typeof w === 'object') {
      const o = w as Record<string, unknown>;
      ui[k] = Object.fromEntries(Object.entries(o).map(([kk, v]) => [kk.startsWith('ui:') ? kk : `ui:${kk}`, v]));
    }
  }
  return ui;
}

/**
 * The policy form's schema: the API's Policy schema, limited to the fields the
 * definition gives defaults for, each with that default. Without the API
 * schema, field types are read off the defaults.
 */
export function policySchema(apiPolicy: JSONSchema | undefined, defaults: Record<string, unknown> | undefined): JSONSchema {
  const api = properties(apiPolicy);
  const props: Record<string, JSONSchema> = {};
  for (const [k, v] of Object.entries(defaults ?? {})) {
    const base: JSONSchema = api[k]
      ? { ...api[k] }
      : { type: typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v === 'boolean' ? 'boolean' : 'string' };
    props[k] = { title: humanize(k), ...base, default: v };
  }
  return { type: 'object', properties: props };
}

/** "backoff_s" -> "Backoff (s)", "on_failure" -> "On failure". */
export function humanize(key: string): string {
  const unit = /_(s|ms|px|mm)$/.exec(key);
  const words = (unit ? key.slice(0, -unit[0].length) : key).replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1) + (unit ? ` (${unit[1]})` : '');
}

/** Short text for a default value. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '—';
  if (v === '') return '""';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
