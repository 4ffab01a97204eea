import { describe, expect, it } from 'vitest';
import {
  canAdvance,
  changedFields,
  chooseWorkflow,
  nextAction,
  onlyChoice,
  shownProblems,
  withoutUnknownOverrides,
  withRevision,
  draftOf,
  draftPath,
  errorTree,
  fieldsOfStep,
  initialDraft,
  lineOverridesSchema,
  pickSchema,
  placeProblems,
  reachable,
  stepOfField,
  unpinnedProblems,
  wizardUrl,
} from './wizard';
import type { JSONSchema, OutputType } from './types';

// A cut of what GET /api/output-types/schema serves; the tests never rely on its enums.
const SCHEMA: JSONSchema = {
  type: 'object',
  required: ['key', 'name', 'family', 'artifact_kind', 'pricing_tier'],
  properties: {
    key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' },
    name: { type: 'string', minLength: 1 },
    description: { type: 'string', default: '' },
    visibility: { type: 'string', enum: ['public', 'internal'], default: 'public' },
    categories: { type: 'array', items: { type: 'string', enum: ['*', 'x'] }, default: ['*'] },
    pricing_tier: { type: 'string', enum: ['standard'] },
    family: { type: 'string', enum: ['cad_file', 'order_line'], default: 'order_line' },
    workflow: { default: null },
    rollout: { type: 'string', enum: ['legacy', 'shadow', 'graph'], default: 'legacy' },
    artifact_kind: { type: 'string' },
    overrides: { type: 'object', default: {} },
    material_constraints: { type: 'object', default: { library: 'default' } },
    legacy_render_settings: { type: ['object', 'null'], default: null },
    shiny_new_field: { type: 'string', default: 'x' },
    created_at: { type: 'string', readOnly: true },
  },
};
const STEPS = ['family', 'workflow', 'artifact_kind', 'overrides', 'commercial', 'review'];

describe('draft pointers', () => {
  it('strips /draft from the check pointers and keeps save pointers', () => {
    expect(draftPath('/draft/overrides/frames')).toEqual(['overrides', 'frames']);
    expect(draftPath('/overrides/frames')).toEqual(['overrides', 'frames']);
    expect(draftPath('/draft')).toEqual([]);
    expect(draftPath('/draft/a~1b')).toEqual(['a/b']);
  });
  it('places each problem on the step that shows its field', () => {
    const placed = placeProblems(
      [
        { pointer: '/draft/overrides/frames', message: 'at least 2' },
        { pointer: '/draft/workflow/id', message: 'unknown' },
        { pointer: '/draft/pricing_tier', message: 'needed' },
        { pointer: '/draft/legacy_render_settings', message: 'needs settings' },
        { pointer: '/draft/shiny_new_field', message: 'new' },
      ],
      SCHEMA,
    );
    expect(placed.map((p) => p.step)).toEqual(['overrides', 'workflow', 'commercial', undefined, 'commercial']);
    expect(unpinnedProblems(placed, 'workflow').map((p) => p.pointer)).toEqual([
      '/draft/overrides/frames',
      '/draft/pricing_tier',
      '/draft/legacy_render_settings',
      '/draft/shiny_new_field',
    ]);
  });
  it('builds the rjsf error tree under a base path', () => {
    const placed = placeProblems(
      [
        { pointer: '/draft/overrides/frames', message: 'at least 2' },
        { pointer: '/draft/overrides/frames', message: 'and even' },
        { pointer: '/draft/material_constraints/allowed_materials/0', message: 'a string' },
        { pointer: '/draft/name', message: 'needed' },
      ],
      SCHEMA,
    );
    expect(errorTree(placed, ['overrides'])).toEqual({ frames: { __errors: ['at least 2', 'and even'] } });
    expect(errorTree(placed, [], ['name', 'material_constraints'])).toEqual({
      name: { __errors: ['needed'] },
      material_constraints: { allowed_materials: { 0: { __errors: ['a string'] } } },
    });
    expect(errorTree(placed, ['workflow'])).toEqual({});
  });
});

describe('steps', () => {
  it('shows only fields the schema has, and unclaimed fields on the commercial step', () => {
    expect(fieldsOfStep('family', SCHEMA)).toEqual(['family']);
    expect(fieldsOfStep('workflow', SCHEMA)).toEqual(['workflow', 'rollout']);
    expect(fieldsOfStep('commercial', SCHEMA)).toEqual(['name', 'key', 'description', 'visibility', 'pricing_tier', 'categories', 'material_constraints', 'shiny_new_field']);
    expect(fieldsOfStep('commercial', { properties: { name: {} } })).toEqual(['name']);
    expect(stepOfField('created_at', SCHEMA)).toBeUndefined();
    expect(stepOfField('artifact_kind')).toBe('artifact_kind');
  });
  it('allows Next only after a clean check of this very draft at this step', () => {
    const draft = JSON.stringify({ family: 'order_line' });
    const ok = { step: 'family', draft, valid: true, errors: [] };
    expect(canAdvance(ok, 'family', draft, STEPS)).toBe(true);
    expect(canAdvance(null, 'family', draft, STEPS)).toBe(false);
    expect(canAdvance(ok, 'workflow', draft, STEPS)).toBe(false);
    expect(canAdvance(ok, 'family', JSON.stringify({ family: 'cad_file' }), STEPS)).toBe(false);
    expect(canAdvance({ ...ok, valid: false, errors: [{ pointer: '/draft/family', message: 'x' }] }, 'family', draft, STEPS)).toBe(false);
    expect(canAdvance({ ...ok, step: 'review' }, 'review', draft, STEPS)).toBe(false);
  });
  it('opens the steps up to the furthest one reached', () => {
    expect(reachable(STEPS, 'artifact_kind')).toEqual(['family', 'workflow', 'artifact_kind']);
    expect(reachable(STEPS, 'nope')).toEqual(['family']);
  });
});

describe('drafts from the schema', () => {
  it('starts from the schema defaults, never readOnly fields', () => {
    const d = initialDraft(SCHEMA);
    expect(d).toMatchObject({ family: 'order_line', rollout: 'legacy', visibility: 'public', categories: ['*'], workflow: null, shiny_new_field: 'x' });
    expect('created_at' in d).toBe(false);
    expect('key' in d).toBe(false);
    // a copy: editing the draft leaves the schema alone
    (d.categories as string[]).push('x');
    expect((SCHEMA.properties as Record<string, JSONSchema>).categories.default).toEqual(['*']);
  });
  it('keeps only writable fields of a stored output type', () => {
    const d = draftOf({ key: 'a', name: 'A', created_at: 't', legacy_mapping: { artifact_kind: 'still_image' } }, SCHEMA);
    expect(d).toEqual({ key: 'a', name: 'A' });
  });
  it('picks a sub-schema with its required flags', () => {
    expect(pickSchema(SCHEMA, ['name', 'description', 'missing'])).toEqual({
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, description: { type: 'string', default: '' } },
      required: ['name'],
    });
  });
  it("gives an order line the output type's overrides as defaults", () => {
    const s = lineOverridesSchema({ type: 'object', additionalProperties: false, properties: { frames: { type: 'integer', default: 36 }, fps: { type: 'integer', default: 24 } } }, { frames: 12 });
    expect(s.properties).toEqual({ frames: { type: 'integer', default: 12 }, fps: { type: 'integer', default: 24 } });
    expect(s.additionalProperties).toBe(false);
  });
  it('makes wizard URLs', () => {
    expect(wizardUrl('new')).toBe('/output-types/new');
    expect(wizardUrl('studio_still', 'workflow', { rollout: 'shadow' })).toBe('/output-types/studio_still/edit?step=workflow&rollout=shadow');
  });
});

describe('choosing', () => {
  const link = { id: 'starter-order-turntable', version: 1 };
  const ot = (d: Record<string, unknown>) => ({ key: 'k', name: 'K', ...d });
  it('runs a chosen workflow: the rollout becomes graph', () => {
    expect(chooseWorkflow(ot({ rollout: 'legacy', workflow: null }), link)).toMatchObject({ workflow: link, rollout: 'graph' });
    expect(chooseWorkflow(ot({ rollout: 'shadow', workflow: null }), link)).toMatchObject({ rollout: 'graph' });
  });
  it('keeps a workflow-running rollout the user chose, not a legacy one', () => {
    expect(chooseWorkflow(ot({ rollout: 'shadow' }), link, true).rollout).toBe('shadow');
    expect(chooseWorkflow(ot({ rollout: 'legacy' }), link, true).rollout).toBe('graph');
  });
  it('goes back to the legacy pipeline without a workflow', () => {
    expect(chooseWorkflow(ot({ rollout: 'graph', workflow: link }), null)).toMatchObject({ workflow: null, rollout: 'legacy' });
  });
  it('preselects the only choice, and only then', () => {
    const cases: [unknown, string[] | undefined, string | undefined][] = [
      [undefined, ['still_image'], 'still_image'],
      ['turntable_video', ['still_image'], 'still_image'], // the old value is no longer offered
      ['still_image', ['still_image'], undefined], // already chosen
      [undefined, ['still_image', 'preview_thumbnail'], undefined], // a real choice: the user makes it
      [undefined, [], undefined],
      [undefined, undefined, undefined], // not answered yet
    ];
    for (const [current, choices, want] of cases) expect(onlyChoice(current, choices)).toBe(want);
    expect(onlyChoice(null, [{ id: 'w', version: 1 }])).toEqual({ id: 'w', version: 1 });
  });
});

describe('when problems show', () => {
  const problems = [
    { path: ['name'], message: 'required' },
    { path: ['overrides', 'frames'], message: 'at least 2' },
    { path: [], message: 'the whole draft' },
  ];
  it('shows none on a fresh page', () => {
    expect(shownProblems(problems, new Set(), false)).toEqual([]);
  });
  it("shows a touched field's problems", () => {
    expect(shownProblems(problems, new Set(['overrides']), false).map((p) => p.message)).toEqual(['at least 2']);
  });
  it('shows every problem once Next was pressed', () => {
    expect(shownProblems(problems, new Set(), true)).toHaveLength(3);
  });
  it('finds what an edit touched', () => {
    expect(changedFields({ name: 'a', key: 'a', categories: ['*'] }, { name: 'ab', key: 'a', categories: ['*'] }, ['name', 'key', 'categories'])).toEqual(['name']);
    expect(changedFields({}, { description: '' }, ['description'])).toEqual(['description']);
  });
  it('lets Next go on, show the problems, or wait', () => {
    const steps = ['family', 'workflow', 'review'];
    const clean = { step: 'family', draft: '{}', valid: true, errors: [] };
    const dirty = { step: 'family', draft: '{}', valid: false, errors: [{ code: 'invalid', pointer: '/draft/family', message: 'x' }] };
    expect(nextAction(clean, 'family', '{}', steps)).toBe('advance');
    expect(nextAction(dirty, 'family', '{}', steps)).toBe('show-problems');
    expect(nextAction(clean, 'family', '{"a":1}', steps)).toBe('wait'); // about another draft
    expect(nextAction(null, 'family', '{}', steps)).toBe('wait');
    expect(nextAction({ ...clean, step: 'review' }, 'review', '{}', steps)).toBe('wait'); // the last step saves instead
  });
});

describe('a workflow version without a parameter', () => {
  const v3 = { type: 'object', properties: { width: { type: 'integer' } }, additionalProperties: false };
  it('drops the overrides the version does not expose, and names them', () => {
    const draft = { key: 's', name: 'S', workflow: { id: 'wf', version: 3 }, overrides: { width: 320, samples: 8 } };
    const r = withoutUnknownOverrides(draft, v3);
    expect(r.dropped).toEqual(['samples']);
    expect(r.draft.overrides).toEqual({ width: 320 });
    expect(draft.overrides).toEqual({ width: 320, samples: 8 });
  });
  it('keeps everything while the schema is not known, or when all fit', () => {
    const draft = { key: 's', name: 'S', overrides: { samples: 8 } };
    expect(withoutUnknownOverrides(draft, undefined)).toEqual({ draft, dropped: [] });
    expect(withoutUnknownOverrides(draft, { type: 'object' })).toEqual({ draft, dropped: [] });
    const fits = { key: 's', name: 'S', overrides: { width: 1 } };
    expect(withoutUnknownOverrides(fits, v3).draft).toBe(fits);
    expect(withoutUnknownOverrides({ key: 's', name: 'S' }, v3).dropped).toEqual([]);
  });
});

describe('saving over a stored output type', () => {
  it('sends the revision the edit started from, or the draft as it is without one', () => {
    const draft = { key: 'still', name: 'Still' } as OutputType;
    expect(withRevision(draft, 4)).toEqual({ key: 'still', name: 'Still', revision: 4 });
    expect(withRevision(draft, undefined)).toBe(draft);
  });
});
