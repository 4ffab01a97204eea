// Parameters whose values come from a list the server keeps (material
// libraries, their materials, render templates, product categories), pure:
// the param schema turned into a choice among those lists, so a form offers
// what exists instead of free text. Module contracts name these params the
// same everywhere (library, material_override, template, …); PARAM_LISTS
// says which list each takes. A value the list lacks stays on offer, marked,
// so a saved workflow is never silently changed.
import type { JSONSchema } from './types';

export interface Choice {
  value: string;
  label: string;
}

export interface ServerLists {
  libraries: Choice[];
  /** each library's materials, by library key */
  materials: Record<string, Choice[]>;
  templates: Choice[];
  categories: Choice[];
}

type ListName = 'libraries' | 'materials' | 'templates' | 'categories';

export const PARAM_LISTS: Readonly<Record<string, ListName>> = {
  library: 'libraries',
  material_override: 'materials',
  category_default: 'materials',
  allowed_materials: 'materials',
  template: 'templates',
  category: 'categories',
};

/** What the empty value means, where a param's default is empty. */
const EMPTY_LABELS: Readonly<Record<string, string>> = {
  material_override: 'None',
  template: 'Chosen automatically',
  category: 'Any category',
};

/** The materials a node can pick: its library's (its `library` param, else the default), else every library's. */
export function materialsFor(lists: ServerLists, library: unknown): Choice[] {
  if (typeof library === 'string' && lists.materials[library]) return lists.materials[library];
  const seen = new Map<string, Choice>();
  for (const list of Object.values(lists.materials)) for (const c of list) if (!seen.has(c.value)) seen.set(c.value, c);
  return [...seen.values()];
}

function oneOf(choices: readonly Choice[], extra: readonly unknown[], emptyLabel?: string): JSONSchema[] {
  const out: JSONSchema[] = [];
  if (emptyLabel !== undefined) out.push({ const: '', title: emptyLabel });
  for (const c of choices) out.push({ const: c.value, title: c.label && c.label !== c.value ? `${c.label} (${c.value})` : c.value });
  for (const v of extra) if (typeof v === 'string' && v !== '' && !choices.some((c) => c.value === v)) out.push({ const: v, title: `${v} (not on the server)` });
  return out;
}

/**
 * The param schema with choices from the server's lists for the params that
 * take them; `values` are the node's current params (kept on offer, and the
 * `library` that decides which materials).
 */
export function withServerChoices(schema: JSONSchema, lists: ServerLists | null, values: Record<string, unknown>): JSONSchema {
  const props = schema.properties as Record<string, JSONSchema> | undefined;
  if (!lists || !props) return schema;
  const library = values.library ?? props.library?.default;
  let changed = false;
  const next: Record<string, JSONSchema> = {};
  for (const [name, prop] of Object.entries(props)) {
    const list = PARAM_LISTS[name];
    const choices = list === 'materials' ? materialsFor(lists, library) : list ? lists[list] : undefined;
    if (!choices?.length) {
      next[name] = prop;
      continue;
    }
    const current = values[name];
    if (prop.type === 'string') {
      const empty = prop.default === '' ? (EMPTY_LABELS[name] ?? '(empty)') : undefined;
      next[name] = { ...prop, oneOf: oneOf(choices, [current, prop.default], empty) };
      changed = true;
    } else if (prop.type === 'array' && (prop.items as JSONSchema | undefined)?.type === 'string') {
      const items = prop.items as JSONSchema;
      next[name] = { ...prop, uniqueItems: true, items: { ...items, oneOf: oneOf(choices, Array.isArray(current) ? current : []) } };
      changed = true;
    } else {
      next[name] = prop;
    }
  }
  return changed ? { ...schema, properties: next } : schema;
}

/** The params that decide a node's choices, as a string that changes only when they do (a memo key). */
export function choiceKey(params: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(PARAM_LISTS).flatMap((k) => (params[k] === undefined ? [] : [[k, params[k]]])));
}

/** The params a choiceKey was made from. */
export function choiceValues(key: string): Record<string, unknown> {
  return Object.fromEntries(JSON.parse(key) as [string, unknown][]);
}
