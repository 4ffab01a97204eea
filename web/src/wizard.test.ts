import { describe, expect, it } from 'vitest';
import {
  canAdvance,
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
import type { JSONSchema } from './types';

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
