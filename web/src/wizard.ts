// The output-type wizard's logic, pure. The server owns the steps (their
// order comes from POST /api/output-types/draft/validate, or the OpenAPI
// DraftRequest enum before the first answer) and every rule; this file only
// decides which fields a step shows, where a problem's pointer lands, and
// when Next may be pressed.
import type { JSONSchema, OutputType, PointerProblem } from './types';
import { parsePointer } from './problems';
import { properties } from './params';
import { routeUrl } from './route';

/**
 * The fields each step edits, in the seed's order. This is page layout, not
 * model: the fields' types, enums and defaults come from the schema. A field
 * of the schema that no step names shows on the step named by REST_STEP.
 */
export const STEP_FIELDS: Readonly<Record<string, readonly string[]>> = {
  family: ['family'],
  workflow: ['workflow', 'rollout'],
  artifact_kind: ['artifact_kind'],
  overrides: ['overrides'],
  commercial: ['name', 'key', 'description', 'visibility', 'pricing_tier', 'categories', 'material_constraints'],
  review: [],
};
const REST_STEP = 'commercial';

/** The schema's editable fields: not readOnly, and not one the wizard never edits by hand. */
export function editableFields(schema: JSONSchema | undefined): string[] {
  return Object.entries(properties(schema))
    .filter(([, s]) => !s.readOnly)
    .map(([k]) => k);
}

/** The fields a step shows: its own ones the schema has, plus unclaimed ones on the rest step. */
export function fieldsOfStep(step: string, schema: JSONSchema | undefined, legacyFields: readonly string[] = ['legacy_render_settings']): string[] {
  const props = properties(schema);
  const own = (STEP_FIELDS[step] ?? []).filter((k) => k in props);
  if (step !== REST_STEP) return own;
  const claimed = new Set([...Object.values(STEP_FIELDS).flat(), ...legacyFields]);
  return [...own, ...editableFields(schema).filter((k) => !claimed.has(k))];
}

/** The step whose page shows a field, or undefined for fields no step edits. */
export function stepOfField(field: string | undefined, schema?: JSONSchema): string | undefined {
  if (field === undefined) return undefined;
  for (const [step, fields] of Object.entries(STEP_FIELDS)) if (fields.includes(field)) return step;
  if (schema && field in properties(schema) && field !== 'legacy_render_settings' && !properties(schema)[field].readOnly) return REST_STEP;
  return undefined;
}

/** "/draft/overrides/frames" (draft check) or "/overrides/frames" (save) -> ["overrides", "frames"]. */
export function draftPath(pointer: string): string[] {
  const p = parsePointer(pointer);
  return p[0] === 'draft' ? p.slice(1) : p;
}

export interface PlacedProblem extends PointerProblem {
  path: string[];
  /** the step whose page shows the field, if any */
  step?: string;
}

export function placeProblems(errors: readonly PointerProblem[], schema?: JSONSchema): PlacedProblem[] {
  return errors.map((e) => {
    const path = draftPath(e.pointer);
    return { ...e, path, step: stepOfField(path[0], schema) };
  });
}

/** rjsf's ErrorSchema: { field: { sub: { __errors: [...] } } } for the problems under `base`. */
export type ErrorTree = { __errors?: string[]; [key: string]: ErrorTree | string[] | undefined };

export function errorTree(problems: readonly { path: string[]; message: string }[], base: readonly string[] = [], only?: readonly string[]): ErrorTree {
  const root: ErrorTree = {};
  for (const p of problems) {
    if (p.path.length < base.length || base.some((t, i) => p.path[i] !== t)) continue;
    const rest = p.path.slice(base.length);
    if (only && (rest.length === 0 || !only.includes(rest[0]))) continue;
    let node = root;
    for (const t of rest) node = (node[t] ??= {}) as ErrorTree;
    (node.__errors ??= []).push(p.message);
  }
  return root;
}

/** The problems a step's page cannot pin on one of its fields: listed above its form. */
export function unpinnedProblems(problems: readonly PlacedProblem[], step: string): PlacedProblem[] {
  return problems.filter((p) => p.step !== step);
}

export interface StepCheck {
  step: string;
  /** the draft, as JSON, the answer is about */
  draft: string;
  valid: boolean;
  errors: PointerProblem[];
}

/**
 * Next is allowed when the server has checked this very draft at this step
 * and found nothing. A check in flight, a stale one, or any problem blocks it.
 */
export function canAdvance(check: StepCheck | null, step: string, draftJson: string, steps: readonly string[]): boolean {
  if (!check || check.step !== step || check.draft !== draftJson) return false;
  if (steps.indexOf(step) >= steps.length - 1) return false;
  return check.valid && check.errors.length === 0;
}

/** The steps a user may jump to: every step up to the furthest one reached. */
export function reachable(steps: readonly string[], furthest: string): string[] {
  const i = steps.indexOf(furthest);
  return i < 0 ? steps.slice(0, 1) : steps.slice(0, i + 1);
}

/** A new draft: the schema's defaults for every editable field that has one. */
export function initialDraft(schema: JSONSchema | undefined): OutputType {
  const d: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(properties(schema))) if (!s.readOnly && 'default' in s) d[k] = structuredClone(s.default);
  return d as OutputType;
}

/** A stored output type as a draft: only what the schema lets a client write. */
export function draftOf(stored: OutputType, schema: JSONSchema | undefined): OutputType {
  const keep = new Set(editableFields(schema));
  return Object.fromEntries(Object.entries(stored).filter(([k]) => keep.has(k))) as OutputType;
}

/**
 * The body of a save over a stored output type: the draft with the revision
 * the edit started from, so the server refuses (409) to overwrite a newer
 * one. Without a known revision the draft goes as it is.
 */
export function withRevision(draft: OutputType, revision: number | undefined): OutputType {
  return revision === undefined ? draft : { ...draft, revision };
}

/** A schema holding only some of another's properties (and their required flags). */
export function pickSchema(schema: JSONSchema | undefined, keys: readonly string[]): JSONSchema {
  const props = properties(schema);
  const req = Array.isArray(schema?.required) ? (schema!.required as string[]) : [];
  return {
    type: 'object',
    properties: Object.fromEntries(keys.filter((k) => k in props).map((k) => [k, props[k]])),
    required: req.filter((k) => keys.includes(k)),
  };
}

/**
 * The overrides schema for an order line: the workflow's parameter schemas
 * with the output type's overrides as their defaults, since that is what a
 * line without its own value gets.
 */
export function lineOverridesSchema(overridesSchema: JSONSchema | undefined, outputTypeOverrides: Record<string, unknown> | undefined): JSONSchema {
  const props = properties(overridesSchema);
  const out: Record<string, JSONSchema> = {};
  for (const [k, s] of Object.entries(props)) out[k] = outputTypeOverrides && k in outputTypeOverrides ? { ...s, default: outputTypeOverrides[k] } : s;
  return { ...(overridesSchema ?? {}), type: 'object', properties: out };
}

/** The wizard's URL for a target ("new" or a key) at a step. */
export function wizardUrl(target: string, step?: string, extra: { workflow?: { id: string; version: number }; rollout?: string } = {}): string {
  return routeUrl({ view: 'output-type-wizard', target, ...(step ? { step } : {}), ...extra });
}

/** What pressing Next does: go on when the server found this very draft clean at this step; show the step's problems when it found some; wait while no answer about this draft is in. */
export function nextAction(check: StepCheck | null, step: string, draftJson: string, steps: readonly string[]): 'advance' | 'show-problems' | 'wait' {
  if (!check || check.step !== step || check.draft !== draftJson) return 'wait';
  if (canAdvance(check, step, draftJson, steps)) return 'advance';
  return steps.indexOf(step) >= steps.length - 1 ? 'wait' : 'show-problems';
}

/**
 * The problems a page shows. A fresh page is not a list of complaints: a
 * problem shows once the user has touched its field (its first pointer
 * token), or once they pressed Next on this step (then every problem).
 */
export function shownProblems<P extends { path: string[] }>(problems: readonly P[], touched: ReadonlySet<string>, nextPressed: boolean): P[] {
  return nextPressed ? [...problems] : problems.filter((p) => p.path.length > 0 && touched.has(p.path[0]));
}

/** The fields whose values differ between two drafts: what an edit touched. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>, fields: readonly string[]): string[] {
  return fields.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

/**
 * A workflow chosen on the workflow step (or none, null). Linking one means
 * running it: the rollout becomes "graph" unless the user chose a rollout
 * that runs a workflow (shadow) themselves. Without one only the legacy
 * pipeline can run.
 */
export function chooseWorkflow(draft: OutputType, link: { id: string; version: number } | null, rolloutTouched = false): OutputType {
  if (!link) return { ...draft, workflow: null, rollout: 'legacy' };
  const keep = rolloutTouched && draft.rollout !== 'legacy';
  return { ...draft, workflow: link, rollout: keep ? draft.rollout : 'graph' };
}

/**
 * The draft without the overrides the linked workflow version does not
 * expose (a newer version may lack a parameter an older one had), and their
 * names. The overrides form shows only the version's parameters, so such an
 * override could be neither seen nor removed, and the server refuses it.
 * Nothing is dropped before the version's overrides schema is known.
 */
export function withoutUnknownOverrides(draft: OutputType, overridesSchema: JSONSchema | undefined): { draft: OutputType; dropped: string[] } {
  const known = overridesSchema?.properties;
  const overrides = draft.overrides as Record<string, unknown> | undefined;
  if (!known || typeof known !== 'object' || !overrides) return { draft, dropped: [] };
  const dropped = Object.keys(overrides).filter((k) => !(k in known));
  if (!dropped.length) return { draft, dropped };
  const keep = Object.fromEntries(Object.entries(overrides).filter(([k]) => k in known));
  return { draft: { ...draft, overrides: keep }, dropped };
}

/** The one choice of a list that offers exactly one, when the current value is not among the choices; else undefined (leave it). */
export function onlyChoice<T>(current: unknown, choices: readonly T[] | undefined): T | undefined {
  if (!choices || choices.length !== 1) return undefined;
  return choices.some((c) => JSON.stringify(c) === JSON.stringify(current)) ? undefined : choices[0];
}
