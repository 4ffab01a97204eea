import { describe, expect, it } from 'vitest';
import { choiceKey, choiceValues, materialsFor, withServerChoices, type ServerLists } from './serverChoices';
import type { JSONSchema } from './types';

const lists: ServerLists = {
  libraries: [
    { value: 'default', label: 'Prodflow default materials' },
    { value: 'shop', label: 'Shop' },
  ],
  materials: {
    default: [
      { value: 'steel', label: 'Steel' },
      { value: 'rubber', label: 'Rubber' },
    ],
    shop: [
      { value: 'gold', label: 'Gold' },
      { value: 'steel', label: 'Steel' },
    ],
  },
  templates: [{ value: 'studio_white', label: 'Studio white' }],
  categories: [],
};

const schema: JSONSchema = {
  type: 'object',
  properties: {
    library: { type: 'string', default: 'default', minLength: 1 },
    category_default: { type: 'string', default: 'steel' },
    material_override: { type: 'string', default: '' },
    allowed_materials: { type: 'array', items: { type: 'string' }, default: [] },
    template: { type: 'string', default: '' },
    category: { type: 'string', default: '' },
    width: { type: 'integer', default: 640 },
  },
};
const prop = (s: JSONSchema, k: string) => (s.properties as Record<string, JSONSchema>)[k];
const consts = (p: JSONSchema) => (p.oneOf as JSONSchema[]).map((o) => o.const);

describe('withServerChoices', () => {
  it('offers the libraries, and the chosen library’s materials', () => {
    const out = withServerChoices(schema, lists, { library: 'shop' });
    expect(consts(prop(out, 'library'))).toEqual(['default', 'shop']);
    expect(prop(out, 'library').oneOf).toContainEqual({ const: 'default', title: 'Prodflow default materials (default)' });
    expect(consts(prop(out, 'category_default'))).toEqual(['gold', 'steel']);
    expect(consts(prop(out, 'allowed_materials').items as JSONSchema)).toEqual(['gold', 'steel']);
  });
  it('says what an empty value means where the default is empty', () => {
    const out = withServerChoices(schema, lists, {});
    expect((prop(out, 'material_override').oneOf as JSONSchema[])[0]).toEqual({ const: '', title: 'None' });
    expect((prop(out, 'template').oneOf as JSONSchema[])[0]).toEqual({ const: '', title: 'Chosen automatically' });
    expect(consts(prop(out, 'material_override'))).toEqual(['', 'steel', 'rubber']);
  });
  it('keeps a value the server does not list, marked', () => {
    const out = withServerChoices(schema, lists, { template: 'gone' });
    expect(prop(out, 'template').oneOf).toContainEqual({ const: 'gone', title: 'gone (not on the server)' });
  });
  it('leaves free text where the server has no list, and other params alone', () => {
    const out = withServerChoices(schema, lists, {});
    expect(prop(out, 'category').oneOf).toBeUndefined();
    expect(prop(out, 'width')).toBe(prop(schema, 'width'));
    expect(withServerChoices(schema, null, {})).toBe(schema);
  });
});

describe('materialsFor', () => {
  it('takes every library’s materials once when the library is unknown', () => {
    expect(materialsFor(lists, undefined).map((c) => c.value)).toEqual(['steel', 'rubber', 'gold']);
    expect(materialsFor(lists, 'shop').map((c) => c.value)).toEqual(['gold', 'steel']);
  });
});

describe('choiceKey', () => {
  it('changes with the choosing params only, and gives them back', () => {
    const k = choiceKey({ library: 'shop', width: 10 });
    expect(choiceKey({ library: 'shop', width: 20 })).toBe(k);
    expect(choiceKey({ library: 'default', width: 10 })).not.toBe(k);
    expect(choiceValues(k)).toEqual({ library: 'shop' });
  });
});
