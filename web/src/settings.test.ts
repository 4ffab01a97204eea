import { describe, expect, it } from 'vitest';
import {
  applyEdits,
  cellPointer,
  choicesAt,
  colourHex,
  docLayout,
  formBody,
  formFields,
  formState,
  getAt,
  hexColour,
  importItems,
  importItemTitle,
  isColour,
  isEditConflict,
  layoutKeys,
  leafKind,
  leaves,
  leafText,
  parseLeaf,
  pinProblems,
  removeItem,
  requestSchema,
  saveFailure,
  setAt,
  sourceLabel,
  summaryFields,
  tableColumns,
  toPointer,
  valuesOf,
} from './settings';
import type { JSONObject } from './types';

// Shaped like the served OpenAPI components.
const tierSchema = {
  type: 'object',
  required: ['key', 'name', 'currency', 'prices'],
  properties: {
    key: { type: 'string' },
    name: { type: 'string' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    prices: { type: 'object', description: 'Unit price per artifact kind.', additionalProperties: { type: 'number', minimum: 0 } },
    created_at: { type: 'string', readOnly: true },
    updated_at: { type: 'string', readOnly: true },
  },
};

const library: JSONObject = {
  library: 'studio',
  label: 'Studio',
  materials: [
    { key: 'red', label: 'Red', principled_bsdf: { base_color: [0.6, 0.03, 0.03], metallic: 0.2 } },
    { key: 'steel', label: 'Steel', principled_bsdf: { base_color: [0.5, 0.5, 0.5], metallic: 1, anisotropic: 0.6 } },
  ],
};

describe('toPointer and pinProblems', () => {
  it('escapes RFC 6901 tokens', () => {
    expect(toPointer(['a/b', 'c~d', '0'])).toBe('/a~1b/c~0d/0');
    expect(toPointer([])).toBe('');
  });
  it('pins each problem to the longest shown pointer that contains it', () => {
    const errors = [
      { pointer: '/materials/0/principled_bsdf/base_color/0', message: 'at most 1' },
      { pointer: '/materials/1', message: 'a material needs its key' },
      { pointer: '/currency', message: 'ISO 4217' },
      { pointer: '/currencyx', message: 'unknown field' },
      { pointer: '', message: 'the whole document' },
    ];
    const { pinned, rest } = pinProblems(errors, ['/materials', '/materials/0', '/materials/0/principled_bsdf/base_color', '/materials/1', '/currency']);
    expect(pinned.get('/materials/0/principled_bsdf/base_color')?.map((p) => p.message)).toEqual(['at most 1']);
    expect(pinned.get('/materials/1')?.map((p) => p.message)).toEqual(['a material needs its key']);
    expect(pinned.get('/currency')?.map((p) => p.message)).toEqual(['ISO 4217']);
    expect(pinned.has('/materials')).toBe(false);
    expect(rest.map((p) => p.pointer)).toEqual(['/currencyx', '']);
  });
  it('recognises an edit conflict by its 409 at /revision', () => {
    expect(isEditConflict({ status: 409, errors: [{ pointer: '/revision', message: 'changed meanwhile' }] })).toBe(true);
    expect(isEditConflict({ status: 409, errors: [{ pointer: '/key', message: 'already exists' }] })).toBe(false);
    expect(isEditConflict({ status: 422, errors: [{ pointer: '/revision', message: 'x' }] })).toBe(false);
  });
  it('turns a failed save into what the form shows', () => {
    const conflict = Object.assign(new Error('category "x" changed meanwhile'), { status: 409, errors: [{ code: 'conflict', pointer: '/revision', message: 'changed' }] });
    expect(saveFailure(conflict)).toEqual({ problems: conflict.errors, error: 'category "x" changed meanwhile', conflict: true });
    expect(saveFailure(new Error('the server cannot be reached'))).toEqual({ problems: [], error: 'the server cannot be reached', conflict: false });
  });
});

describe('item forms from a served schema', () => {
  const fields = formFields(tierSchema);
  it('offers every property that is not readOnly, with its kind and whether it is required', () => {
    expect(fields.map((f) => [f.key, f.kind, f.required])).toEqual([
      ['key', 'text', true],
      ['name', 'text', true],
      ['currency', 'text', true],
      ['prices', 'map', true],
    ]);
    expect(fields[2].label).toBe('Currency');
  });
  it('round-trips a stored item and sends the revision it edited', () => {
    const stored = { key: 'gold', name: 'Gold', currency: 'EUR', prices: { still_image: 25, turntable_video: 0 }, revision: 3, created_at: 'x' };
    const state = formState(stored, fields);
    expect(state.prices).toEqual({ still_image: '25', turntable_video: '0' });
    expect(formBody(state, fields, 3)).toEqual({ key: 'gold', name: 'Gold', currency: 'EUR', prices: { still_image: 25, turntable_video: 0 }, revision: 3 });
  });
  it('leaves empty fields out and passes what is not a number on for the server to name', () => {
    const body = formBody({ key: 'gold', name: '', currency: 'euro', prices: { still_image: ' ', hologram: '1,5' } }, fields);
    expect(body).toEqual({ key: 'gold', currency: 'euro', prices: { hologram: '1,5' } });
    expect(formBody({ key: 'gold', prices: { still_image: '' } }, fields)).toEqual({ key: 'gold' });
  });
  it('suggests the values a field already has', () => {
    expect(valuesOf([{ currency: 'EUR' }, { currency: 'USD' }, { currency: 'EUR' }, {}], 'currency')).toEqual(['EUR', 'USD']);
  });
});

describe('document leaves', () => {
  it('types values by their JSON: a list of 3-4 numbers from 0 to 1 is a colour', () => {
    expect(isColour([0.1, 0.2, 0.3])).toBe(true);
    expect(isColour([0.1, 0.2, 0.3, 1])).toBe(true);
    expect(isColour([2, 0, 0])).toBe(false);
    expect([leafKind('x'), leafKind(1), leafKind(true), leafKind([1, 1, 1]), leafKind([1, 2]), leafKind(['*']), leafKind([]), leafKind([{}])]).toEqual([
      'string',
      'number',
      'boolean',
      'colour',
      'numbers',
      'strings',
      'strings',
      'json',
    ]);
  });
  it('turns input text back into JSON, keeping text the server should refuse', () => {
    expect(parseLeaf('0.85', 'number')).toBe(0.85);
    expect(parseLeaf('abc', 'number')).toBe('abc');
    expect(parseLeaf('', 'number')).toBeUndefined();
    expect(parseLeaf('0.1, 0.2,0.3', 'colour')).toEqual([0.1, 0.2, 0.3]);
    expect(parseLeaf('0.1, x, 0.3', 'colour')).toBe('0.1, x, 0.3');
    expect(parseLeaf('*, machinery, ', 'strings')).toEqual(['*', 'machinery']);
    expect(parseLeaf('', 'strings')).toEqual([]);
    expect(parseLeaf('false', 'boolean')).toBe(false);
    expect(parseLeaf('{"a":1}', 'json')).toEqual({ a: 1 });
    expect(leafText([0.5, 0.25, 1], 'colour')).toBe('0.5, 0.25, 1');
  });
  it('walks objects and keeps arrays whole', () => {
    expect(leaves({ a: 1, b: { c: [1, 2, 3], d: { e: 'x' } } }).map((l) => l.pointer)).toEqual(['/a', '/b/c', '/b/d/e']);
  });
  it('gets and sets by path without touching the original', () => {
    const next = setAt(library, ['materials', '0', 'principled_bsdf', 'roughness'], 0.85) as JSONObject;
    expect(getAt(next, ['materials', '0', 'principled_bsdf', 'roughness'])).toBe(0.85);
    expect(getAt(library, ['materials', '0', 'principled_bsdf', 'roughness'])).toBeUndefined();
    const removed = setAt(library, ['materials', '1', 'principled_bsdf', 'anisotropic'], undefined);
    expect(getAt(removed, ['materials', '1', 'principled_bsdf'])).toEqual({ base_color: [0.5, 0.5, 0.5], metallic: 1 });
    expect(setAt(library, ['nothing', 'here'], undefined)).toBe(library);
    expect(getAt(setAt({}, ['a', 'b'], 1), ['a', 'b'])).toBe(1);
  });
  it('applies text edits by pointer, an emptied one removing its value', () => {
    const out = applyEdits(library, {
      '/materials/0/principled_bsdf/metallic': { text: '0.9', kind: 'number' },
      '/materials/1/principled_bsdf/anisotropic': { text: '', kind: 'number' },
      '/materials/1/principled_bsdf/roughness': { text: '0.3', kind: 'number' },
      '/label': { text: 'Studio 2', kind: 'string' },
    });
    expect(getAt(out, ['materials', '0', 'principled_bsdf', 'metallic'])).toBe(0.9);
    expect(getAt(out, ['materials', '1', 'principled_bsdf'])).toEqual({ base_color: [0.5, 0.5, 0.5], metallic: 1, roughness: 0.3 });
    expect(out.label).toBe('Studio 2');
  });
  it('removes a table row and moves the later rows’ edits up', () => {
    const three = setAt(library, ['materials', '2'], { key: 'new' }) as JSONObject;
    const r = removeItem(
      three,
      {
        '/materials/0/key': { text: 'a', kind: 'string' },
        '/materials/1/key': { text: 'b', kind: 'string' },
        '/materials/2/key': { text: 'c', kind: 'string' },
        '/label': { text: 'L', kind: 'string' },
      },
      ['materials'],
      1,
    );
    expect((r.doc.materials as JSONObject[]).map((m) => m.key)).toEqual(['red', 'new']);
    expect(r.edits).toEqual({ '/materials/0/key': { text: 'a', kind: 'string' }, '/materials/1/key': { text: 'c', kind: 'string' }, '/label': { text: 'L', kind: 'string' } });
  });
});

describe('document layout', () => {
  it('makes columns of the leaves any row has, in the order met', () => {
    const cols = tableColumns(library.materials as JSONObject[]);
    expect(cols.map((c) => c.path.join('.'))).toEqual(['key', 'label', 'principled_bsdf.base_color', 'principled_bsdf.metallic', 'principled_bsdf.anisotropic']);
    expect(cols.map((c) => c.kind)).toEqual(['string', 'string', 'colour', 'number', 'number']);
    expect(cols[2].label).toBe('Base color');
  });
  it('splits a document into top-level values, objects and tables, and lists every pointer it shows', () => {
    const tpl: JSONObject = { key: 't', categories: ['*'], camera: { lens_mm: 50 }, source: '/abs/path.json' };
    const l = docLayout(tpl, ['source']);
    expect(l.general.map((x) => x.pointer)).toEqual(['/key', '/categories']);
    expect(l.groups.map((g) => [g.pointer, g.leaves.map((x) => x.pointer)])).toEqual([['/camera', ['/camera/lens_mm']]]);
    expect(l.tables).toEqual([]);
    const lib = docLayout(library);
    expect(lib.tables.map((t) => t.pointer)).toEqual(['/materials']);
    expect(cellPointer(lib.tables[0], 1, lib.tables[0].columns[2])).toBe('/materials/1/principled_bsdf/base_color');
    const keys = layoutKeys(lib);
    expect(keys).toContain('/materials/1');
    expect(keys).toContain('/materials/0/principled_bsdf/anisotropic');
    expect(keys).toContain('/label');
  });
  it('picks a list page’s columns: fields that are scalars or lists of scalars everywhere', () => {
    const docs: JSONObject[] = [
      { key: 'a', kind: 'studio', categories: ['*'], camera: {}, priority: 1 },
      { key: 'b', kind: 'blend_scene', categories: ['x'], blend: 'b.blend', priority: { bad: 1 } },
    ];
    expect(summaryFields(docs, ['key'])).toEqual(['kind', 'categories', 'blend']);
  });
});

describe('colours and sources', () => {
  it('shows linear RGB as sRGB and back', () => {
    expect(colourHex([0, 0, 0])).toBe('#000000');
    expect(colourHex([1, 1, 1, 0.5])).toBe('#ffffff');
    expect(colourHex([0.216, 0.216, 0.216])).toBe('#808080');
    expect(colourHex(hexColour('#c83c14'))).toBe('#c83c14');
    expect(hexColour('#808080')).toEqual([0.216, 0.216, 0.216]);
    expect(hexColour('#ffffff', [0, 0, 0, 0.5])).toEqual([1, 1, 1, 0.5]);
    expect(hexColour('nope', [0.1, 0.2, 0.3])).toEqual([0.1, 0.2, 0.3]);
  });
  it('names the served sources and nothing else', () => {
    expect(sourceLabel('data')).toEqual({ label: 'edited copy', edited: true });
    expect(sourceLabel('share')).toEqual({ label: 'shipped', edited: false });
    expect(sourceLabel('/srv/share/templates/x.json')).toBeUndefined();
  });
});

describe('legacy import', () => {
  it('reads the request body schema from the served paths', () => {
    const schema = { type: 'array', items: { type: 'object', required: ['name'] } };
    const paths = { '/api/output-types/import-legacy': { post: { requestBody: { content: { 'application/json': { schema } } } } } };
    expect(requestSchema(paths, '/api/output-types/import-legacy', 'post')).toBe(schema);
    expect(requestSchema(paths, '/api/nothing', 'post')).toBeUndefined();
    expect(requestSchema(undefined, '/api/output-types/import-legacy', 'post')).toBeUndefined();
  });
  it('finds the items of a pasted import and where their pointers start', () => {
    expect(importItems('[{"name":"A"},{"key":"b"},3]')).toEqual({ base: '', items: [{ name: 'A' }, { key: 'b' }, 3] });
    expect(importItems('{"output_types":[{"name":"A"}]}')).toEqual({ base: '/output_types', items: [{ name: 'A' }] });
    expect(importItems('{"name":"A"}')).toBeNull();
    expect(importItems('[{')).toBeNull();
    expect([importItemTitle({ name: 'A', key: 'a' }, 0), importItemTitle({ key: 'b' }, 1), importItemTitle(3, 2)]).toEqual(['A', 'b', 'Item 3']);
  });
});

describe('choicesAt', () => {
  const schema = {
    type: 'object',
    properties: {
      kind: { type: 'string', enum: ['studio', 'blend_scene'] },
      lights: { type: 'object', properties: { preset: { enum: ['three_point', 'softbox'] }, power: { type: 'number' } } },
      kinds: { type: 'array', items: { enum: ['still_image'] } },
    },
  };
  it('follows properties and items to an enum of strings', () => {
    expect(choicesAt(schema, ['kind'])).toEqual(['studio', 'blend_scene']);
    expect(choicesAt(schema, ['lights', 'preset'])).toEqual(['three_point', 'softbox']);
    expect(choicesAt(schema, ['kinds', '0'])).toEqual(['still_image']);
  });
  it('says nothing where the schema allows anything or is missing', () => {
    expect(choicesAt(schema, ['lights', 'power'])).toBeUndefined();
    expect(choicesAt(schema, ['label'])).toBeUndefined();
    expect(choicesAt(undefined, ['kind'])).toBeUndefined();
  });
});
