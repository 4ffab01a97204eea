import { describe, expect, it } from 'vitest';
import { applyFormChange, isOverridden, policySchema, schemaDefaults, uiSchemaFor } from './params';

const schema = {
  type: 'object',
  properties: {
    a: { type: 'number', default: 0.1 },
    b: { type: 'boolean', default: false },
    c: { type: 'string' },
  },
};

describe('params', () => {
  it('reads defaults', () => {
    expect(schemaDefaults(schema)).toEqual({ a: 0.1, b: false });
  });
  it('marks only values that differ from the default', () => {
    const d = schemaDefaults(schema);
    expect(isOverridden({ a: 0.2 }, d, 'a')).toBe(true);
    expect(isOverridden({ a: 0.1 }, d, 'a')).toBe(false);
    expect(isOverridden({}, d, 'a')).toBe(false);
    expect(isOverridden({ c: 'x' }, d, 'c')).toBe(true);
  });
  it('folds form changes into overrides', () => {
    const d = schemaDefaults(schema);
    const form = { a: 0.1, b: false };
    expect(applyFormChange({}, form, { ...form, a: 0.3 }, d)).toEqual({ a: 0.3 });
    expect(applyFormChange({ a: 0.3 }, { ...form, a: 0.3 }, form, d)).toEqual({});
    expect(applyFormChange({ a: 0.3 }, { ...form, a: 0.3 }, { b: false }, d)).toEqual({});
    const same = { a: 0.3 };
    expect(applyFormChange(same, { ...form, a: 0.3 }, { ...form, a: 0.3 }, d)).toBe(same);
  });
  it('turns field order and widgets into a uiSchema', () => {
    const ui = uiSchemaFor({ param_schema: schema, ui: { field_order: ['b', 'zz', 'a'], widgets: { a: 'radio', zz: 'x' } } });
    expect(ui).toEqual({ 'ui:order': ['b', 'a', '*'], a: { 'ui:widget': 'radio' } });
  });
  it('builds the policy form from the API schema and the definition defaults', () => {
    const api = { type: 'object', properties: { retries: { type: 'integer', minimum: 0 }, cache: { type: 'boolean' } } };
    const s = policySchema(api, { retries: 2, timeout_s: 60 });
    expect(s.properties).toEqual({
      retries: { title: 'Retries', type: 'integer', minimum: 0, default: 2 },
      timeout_s: { title: 'Timeout (s)', type: 'integer', default: 60 },
    });
  });
});
