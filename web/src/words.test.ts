import { describe, expect, it } from 'vitest';
import { categoriesText, categoryLabel, humanize, orderTitle, pointerWords, statusLabel } from './words';

describe('words', () => {
  it('labels statuses the way people say them', () => {
    expect(statusLabel('in_production')).toBe('In production');
    expect(statusLabel('running')).toBe('Running');
    expect(statusLabel('succeeded')).toBe('Succeeded');
    expect(statusLabel('failed')).toBe('Failed');
    expect(statusLabel('skipped')).toBe('Skipped');
    expect(statusLabel('some_new_state')).toBe('Some new state');
    expect(humanize('')).toBe('');
  });
  it('says "All categories" for *', () => {
    expect(categoryLabel('*')).toBe('All categories');
    expect(categoryLabel('machinery', [{ key: 'machinery', name: 'Machinery' }])).toBe('Machinery');
    expect(categoryLabel('boats')).toBe('boats');
    expect(categoriesText(['*'])).toBe('All categories');
    expect(categoriesText(['a', 'b'], [{ key: 'a', name: 'A' }])).toBe('A, b');
    expect(categoriesText([])).toBe('None');
  });
  it('titles orders by reference or customer', () => {
    expect(orderTitle({ id: 'ord_1', reference: 'PO-4711', customer: 'ACME' })).toBe('PO-4711 · ACME');
    expect(orderTitle({ id: 'ord_1', reference: 'PO-4711' })).toBe('Order PO-4711');
    expect(orderTitle({ id: 'ord_1', customer: 'ACME' })).toBe('Order for ACME');
    expect(orderTitle({ id: 'ord_1', created_at: '2026-12-02T10:00:00Z' })).toMatch(/^Order of /);
    expect(orderTitle({ id: 'ord_1' })).toBe('Order');
  });
  it('says where a pointer leads', () => {
    expect(pointerWords('/lines/0/quantity')).toBe('Line 1 › Quantity');
    expect(pointerWords('/product/cad_file')).toBe('Product › CAD file');
    expect(pointerWords('/draft/overrides/frames')).toBe('Overrides › Frames');
    expect(pointerWords('/context/step_path')).toBe('Run context › STEP file');
    expect(pointerWords('/nodes/3/params/width', 2)).toBe('Parameters › Width');
    expect(pointerWords('/0/name')).toBe('Item 1 › Name');
    expect(pointerWords('')).toBe('The whole document');
    expect(pointerWords(undefined)).toBe('The whole document');
  });
});
