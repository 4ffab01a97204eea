// The Settings section's logic, pure: item forms built from a served JSON
// Schema, served documents (material libraries, render templates) edited
// leaf by leaf when no schema is served for them, problems pinned by pointer,
// and the legacy import's request.
import { humanize, properties } from './params';
import { parsePointer } from './problems';
import type { JSONObject, JSONSchema, JSONValue, PointerProblem } from './types';

/** RFC 6901, the inverse of parsePointer. */
export function toPointer(path: readonly string[]): string {
  return path.map((t) => `/${t.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/**
 * Each problem pinned to the longest of `keys` (the pointers of what the page
 * shows) that is its pointer or contains it; the rest stay unpinned.
 */
export function pinProblems<P extends PointerProblem>(errors: readonly P[], keys: Iterable<string>): { pinned: Map<string, P[]>; rest: P[] } {
  const ks = [...keys];
  const pinned = new Map<string, P[]>();
  const rest: P[] = [];
  for (const e of errors) {
    let best: string | undefined;
    for (const k of ks) if ((e.pointer === k || e.pointer.startsWith(`${k}/`)) && (best === undefined || k.length > best.length)) best = k;
    if (best === undefined) rest.push(e);
    else pinned.set(best, [...(pinned.get(best) ?? []), e]);
  }
  return { pinned, rest };
}

/** A save refused because another write came first (409 at /revision). */
export function isEditConflict(f: { status: number; errors: readonly PointerProblem[] }): boolean {
  return f.status === 409 && f.errors.some((e) => e.pointer === '/revision');
}

export const CONFLICT_MESSAGE = 'Changed by someone else since you opened it; reload to edit their version.';

/** What a refused save left to show. */
export interface SaveState {
  problems: PointerProblem[];
  error: string;
  conflict: boolean;
}

export const SAVED: SaveState = { problems: [], error: '', conflict: false };

/** A failed request (an ApiFailure, or anything thrown) as the form shows it. */
export function saveFailure(e: unknown): SaveState {
  const f = e as { status?: number; errors?: PointerProblem[]; message?: string };
  const problems = Array.isArray(f.errors) ? f.errors : [];
  return { problems, error: f.message ?? String(e), conflict: isEditConflict({ status: f.status ?? 0, errors: problems }) };
}

// ---- item forms (categories, pricing tiers) from the OpenAPI components ----

export type FieldKind = 'text' | 'number' | 'map' | 'json';

export interface FormField {
  key: string;
  label: string;
  kind: FieldKind;
  required: boolean;
  schema: JSONSchema;
}

function fieldKind(s: JSONSchema): FieldKind {
  if (s.type === 'string') return 'text';
  if (s.type === 'number' || s.type === 'integer') return 'number';
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return 'map';
  return 'json';
}

/** The fields a client writes: every property the schema does not mark readOnly. */
export function formFields(schema: JSONSchema | undefined): FormField[] {
  const req = new Set(Array.isArray(schema?.required) ? (schema.required as string[]) : []);
  return Object.entries(properties(schema))
    .filter(([, s]) => !s.readOnly)
    .map(([key, s]) => ({ key, label: typeof s.title === 'string' ? s.title : humanize(key), kind: fieldKind(s), required: req.has(key), schema: s }));
}

/** What an input shows for a value. */
function scalarText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

/** A number when the text is one; otherwise the text, so the server names the problem. */
function numberOrText(text: string): number | string {
  const t = text.trim();
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : text;
}

export type FormState = Record<string, string | Record<string, string>>;

export function formState(doc: Record<string, unknown> | null | undefined, fields: readonly FormField[]): FormState {
  const out: FormState = {};
  for (const f of fields) {
    const v = doc?.[f.key];
    out[f.key] =
      f.kind === 'map'
        ? Object.fromEntries(Object.entries(v && typeof v === 'object' ? (v as Record<string, unknown>) : {}).map(([k, x]) => [k, scalarText(x)]))
        : scalarText(v);
  }
  return out;
}

/** The request body: filled fields only, typed as the schema says, and the revision that was edited. */
export function formBody(state: FormState, fields: readonly FormField[], revision?: number): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    const v = state[f.key];
    if (f.kind === 'map') {
      const valueSchema = f.schema.additionalProperties as JSONSchema;
      const numeric = valueSchema.type === 'number' || valueSchema.type === 'integer';
      const entries = Object.entries(typeof v === 'object' ? v : {}).filter(([, t]) => t.trim() !== '');
      if (entries.length) body[f.key] = Object.fromEntries(entries.map(([k, t]) => [k, numeric ? numberOrText(t) : t]));
      continue;
    }
    if (typeof v !== 'string' || v === '') continue;
    if (f.kind === 'number') body[f.key] = numberOrText(v);
    else if (f.kind === 'json') {
      try {
        body[f.key] = JSON.parse(v);
      } catch {
        body[f.key] = v;
      }
    } else body[f.key] = v;
  }
  if (revision !== undefined) body.revision = revision;
  return body;
}

/** Distinct values a field has across items, for an input's suggestions (a tier's currency). */
export function valuesOf(items: readonly Record<string, unknown>[], key: string): string[] {
  return [...new Set(items.map((i) => i[key]).filter((v): v is string => typeof v === 'string' && v !== ''))].sort();
}

// ---- served documents edited leaf by leaf ----

export type LeafKind = 'string' | 'number' | 'boolean' | 'colour' | 'numbers' | 'strings' | 'json';

/** Three or four numbers from 0 to 1: an RGB(A) colour. */
export function isColour(v: unknown): v is number[] {
  return Array.isArray(v) && (v.length === 3 || v.length === 4) && v.every((x) => typeof x === 'number' && x >= 0 && x <= 1);
}

export function leafKind(v: unknown): LeafKind {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (isColour(v)) return 'colour';
  if (Array.isArray(v) && v.length && v.every((x) => typeof x === 'number')) return 'numbers';
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return 'strings';
  return 'json';
}

export function leafText(v: unknown, kind: LeafKind): string {
  if (v === undefined) return '';
  if ((kind === 'colour' || kind === 'numbers' || kind === 'strings') && Array.isArray(v)) return v.join(', ');
  return scalarText(v);
}

/** An input's text as the JSON value it stands for; undefined (the field removed) when empty. */
export function parseLeaf(text: string, kind: LeafKind): JSONValue | undefined {
  const t = text.trim();
  if (kind === 'strings')
    return t
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (t === '') return undefined;
  switch (kind) {
    case 'string':
      return text;
    case 'number':
      return numberOrText(text);
    case 'boolean':
      return t === 'true' ? true : t === 'false' ? false : text;
    case 'colour':
    case 'numbers': {
      const parts = t.split(',').map((s) => s.trim());
      const nums = parts.map(Number);
      return parts.every((p) => p !== '') && nums.every(Number.isFinite) ? nums : text;
    }
    default:
      try {
        return JSON.parse(t) as JSONValue;
      } catch {
        return text;
      }
  }
}

const isObject = (v: unknown): v is JSONObject => !!v && typeof v === 'object' && !Array.isArray(v);

export function getAt(doc: JSONValue | undefined, path: readonly string[]): JSONValue | undefined {
  let v: JSONValue | undefined = doc;
  for (const t of path) {
    if (Array.isArray(v)) v = v[Number(t)];
    else if (isObject(v)) v = v[t];
    else return undefined;
  }
  return v;
}

/** A copy with the value at `path` set (objects made on the way), or removed when undefined. */
export function setAt(doc: JSONValue | undefined, path: readonly string[], value: JSONValue | undefined): JSONValue {
  if (!path.length) return value === undefined ? {} : value;
  if (value === undefined && getAt(doc, path) === undefined) return doc ?? {};
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    const i = Number(head);
    const out = [...doc];
    if (!rest.length && value === undefined) out.splice(i, 1);
    else out[i] = setAt(doc[i], rest, value);
    return out;
  }
  const out: JSONObject = isObject(doc) ? { ...doc } : {};
  if (!rest.length && value === undefined) delete out[head];
  else out[head] = setAt(out[head], rest, value);
  return out;
}

export interface Leaf {
  path: string[];
  pointer: string;
  value: JSONValue;
  kind: LeafKind;
}

/** The values under a document, objects walked into, arrays and scalars as leaves. */
export function leaves(v: JSONValue | undefined, base: readonly string[] = []): Leaf[] {
  if (isObject(v)) return Object.entries(v).flatMap(([k, x]) => leaves(x, [...base, k]));
  if (v === undefined || !base.length) return [];
  return [{ path: [...base], pointer: toPointer(base), value: v, kind: leafKind(v) }];
}

/** Text edits over a document, by the pointer of the leaf they replace. */
export type Edits = Record<string, { text: string; kind: LeafKind }>;

export function applyEdits(doc: JSONObject, edits: Edits): JSONObject {
  let out: JSONValue = doc;
  for (const [ptr, e] of Object.entries(edits)) out = setAt(out, parsePointer(ptr), parseLeaf(e.text, e.kind));
  return out as JSONObject;
}

/** Item `index` of the array at `path` removed, and the edits of later items moved up. */
export function removeItem(doc: JSONObject, edits: Edits, path: readonly string[], index: number): { doc: JSONObject; edits: Edits } {
  const prefix = toPointer(path);
  const next: Edits = {};
  for (const [ptr, e] of Object.entries(edits)) {
    if (!ptr.startsWith(`${prefix}/`)) {
      next[ptr] = e;
      continue;
    }
    const [i, ...rest] = parsePointer(ptr.slice(prefix.length));
    const n = Number(i);
    if (n === index) continue;
    next[n > index ? toPointer([...path, String(n - 1), ...rest]) : ptr] = e;
  }
  return { doc: setAt(doc, [...path, String(index)], undefined) as JSONObject, edits: next };
}

export interface Column {
  /** relative to the item */
  path: string[];
  label: string;
  kind: LeafKind;
}

/** The leaves any item has, in the order they are first met: a table's columns. */
export function tableColumns(items: readonly JSONValue[]): Column[] {
  const cols = new Map<string, Column>();
  for (const item of items)
    for (const l of leaves(item)) if (!cols.has(l.pointer)) cols.set(l.pointer, { path: l.path, label: humanize(l.path[l.path.length - 1]), kind: l.kind });
  return [...cols.values()];
}

export interface DocGroup {
  key: string;
  pointer: string;
  leaves: Leaf[];
}

export interface DocTable {
  key: string;
  path: string[];
  pointer: string;
  items: JSONValue[];
  columns: Column[];
}

export interface DocLayout {
  /** the top-level values */
  general: Leaf[];
  /** a top-level object each */
  groups: DocGroup[];
  /** a top-level array of objects each (a library's materials) */
  tables: DocTable[];
}

export function docLayout(doc: JSONObject, hidden: readonly string[] = []): DocLayout {
  const out: DocLayout = { general: [], groups: [], tables: [] };
  for (const [key, v] of Object.entries(doc)) {
    if (hidden.includes(key)) continue;
    const pointer = toPointer([key]);
    if (Array.isArray(v) && v.length && v.every(isObject)) out.tables.push({ key, path: [key], pointer, items: v, columns: tableColumns(v) });
    else if (isObject(v)) out.groups.push({ key, pointer, leaves: leaves(v, [key]) });
    else out.general.push({ path: [key], pointer, value: v, kind: leafKind(v) });
  }
  return out;
}

/** The pointer of a table's cell. */
export const cellPointer = (t: DocTable, row: number, col: Column) => toPointer([...t.path, String(row), ...col.path]);

/** Every pointer the page shows something at, for pinProblems. */
export function layoutKeys(l: DocLayout): string[] {
  const keys = [...l.general.map((x) => x.pointer)];
  for (const g of l.groups) keys.push(g.pointer, ...g.leaves.map((x) => x.pointer));
  for (const t of l.tables) {
    keys.push(t.pointer);
    t.items.forEach((_, i) => keys.push(toPointer([...t.path, String(i)]), ...t.columns.map((c) => cellPointer(t, i, c))));
  }
  return keys;
}

/** Top-level fields whose values are all scalars or lists of scalars: a list page's columns. */
export function summaryFields(docs: readonly JSONObject[], skip: readonly string[]): string[] {
  const seen = new Map<string, boolean>();
  const scalar = (v: unknown) => v === null || typeof v !== 'object';
  for (const d of docs)
    for (const [k, v] of Object.entries(d)) {
      if (skip.includes(k)) continue;
      const ok = scalar(v) || (Array.isArray(v) && v.every(scalar));
      seen.set(k, (seen.get(k) ?? true) && ok);
    }
  return [...seen].filter(([, ok]) => ok).map(([k]) => k);
}

// Blender takes linear RGB (the material library says so); a screen shows sRGB.
const toSrgb = (c: number) => (c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055);
const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
const clamp01 = (c: number) => Math.min(1, Math.max(0, c));

/** "#rrggbb" for a linear RGB colour. */
export function colourHex(rgb: readonly number[]): string {
  return `#${rgb
    .slice(0, 3)
    .map((c) =>
      Math.round(clamp01(toSrgb(clamp01(c))) * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** The linear RGB of "#rrggbb", three decimals, keeping an alpha that was there. */
export function hexColour(hex: string, previous?: readonly number[]): number[] {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) return previous ? [...previous] : [];
  const rgb = m.slice(1, 4).map((h) => Math.round(toLinear(parseInt(h, 16) / 255) * 1000) / 1000);
  return previous && previous.length === 4 ? [...rgb, previous[3]] : rgb;
}

/** The words for a served file's `source`: the data directory's edited copy or the shipped one. */
export function sourceLabel(source: unknown): { label: string; edited: boolean } | undefined {
  if (source === 'data') return { label: 'edited copy', edited: true };
  if (source === 'share') return { label: 'shipped', edited: false };
  return undefined;
}

/** The title and subtitle of a served document: its label or name, and its identity. */
export function docTitle(doc: Record<string, unknown>, idField: string): string {
  for (const k of ['label', 'name']) if (typeof doc[k] === 'string' && doc[k]) return doc[k] as string;
  return String(doc[idField] ?? '');
}

// ---- legacy import ----

/** The JSON schema of an operation's request body, from the served OpenAPI paths. */
export function requestSchema(paths: Record<string, Record<string, unknown>> | undefined, path: string, method: string): JSONSchema | undefined {
  const op = paths?.[path]?.[method] as { requestBody?: { content?: Record<string, { schema?: JSONSchema }> } } | undefined;
  return op?.requestBody?.content?.['application/json']?.schema;
}

/**
 * The pasted import as the server will read it: a list, or {"output_types": [...]}.
 * `base` is where its problems' pointers start; null when it is not JSON of that shape.
 */
export function importItems(text: string): { base: string; items: JSONValue[] } | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (Array.isArray(v)) return { base: '', items: v as JSONValue[] };
  if (isObject(v) && Array.isArray(v.output_types)) return { base: '/output_types', items: v.output_types };
  return null;
}

/** How an item of the import is named in the results. */
export function importItemTitle(item: JSONValue, i: number): string {
  if (isObject(item)) for (const k of ['name', 'key']) if (typeof item[k] === 'string' && item[k]) return item[k] as string;
  return `Item ${i + 1}`;
}

/**
 * The values the served schema allows at `path` of a document (its `enum` of
 * strings), following `properties` and `items`; undefined when it says none.
 */
export function choicesAt(schema: JSONSchema | undefined, path: readonly string[]): string[] | undefined {
  let s: unknown = schema;
  for (const t of path) {
    if (!isObject(s)) return undefined;
    const props = s.properties;
    s = isObject(props) && t in props ? props[t] : /^\d+$/.test(t) ? s.items : undefined;
  }
  const values = isObject(s) ? s.enum : undefined;
  return Array.isArray(values) && values.every((v) => typeof v === 'string') ? (values as string[]) : undefined;
}
