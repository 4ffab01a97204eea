import { describe, expect, it } from 'vitest';
import { dispatchBlocked, estimateOrder, productInput, formatMoney, intakeView, lineRuns, preflightTarget, settingRows, takesLineOverrides, tierPrice } from './catalog';
import type { OutputType, PricingTier } from './types';

const TIERS: PricingTier[] = [
  { key: 'standard', name: 'Standard', currency: 'EUR', prices: { still_image: 25, turntable_video: 90 } },
  { key: 'us', name: 'US', currency: 'USD', prices: { still_image: 30 } },
];
const OTS: OutputType[] = [
  { key: 'still', name: 'Still', pricing_tier: 'standard', artifact_kind: 'still_image', rollout: 'legacy', workflow: null },
  { key: 'spin', name: 'Spin', pricing_tier: 'standard', artifact_kind: 'turntable_video', rollout: 'graph', workflow: { id: 'w', version: 1 } },
  { key: 'us_still', name: 'US still', pricing_tier: 'us', artifact_kind: 'still_image' },
  { key: 'blend', name: 'Blend', pricing_tier: 'standard', artifact_kind: 'production_blend', rollout: 'shadow', workflow: { id: 'b', version: 2 } },
];

describe('prices', () => {
  it('formats money in the currency given', () => {
    expect(formatMoney(140, 'EUR')).toBe('€140.00');
    expect(formatMoney(25.5, 'USD')).toBe('US$25.50');
    expect(formatMoney(undefined, 'EUR')).toBe('—');
    expect(formatMoney(3, undefined)).toBe('3.00');
    expect(formatMoney(3, 'NOT A CODE')).toBe('3.00 NOT A CODE');
  });
  it("reads the tier's price for the output type's kind", () => {
    expect(tierPrice(OTS[1], TIERS)).toEqual({ price: 90, currency: 'EUR' });
    expect(tierPrice(OTS[3], TIERS)).toBeUndefined();
    expect(tierPrice(undefined, TIERS)).toBeUndefined();
  });
  it('estimates an order line by line', () => {
    expect(estimateOrder([{ output_type: 'still', quantity: 2 }, { output_type: 'spin', quantity: 1 }], OTS, TIERS)).toEqual({ total: 140, currency: 'EUR', lines: [50, 90] });
    const mixed = estimateOrder([{ output_type: 'still', quantity: 1 }, { output_type: 'us_still', quantity: 1 }], OTS, TIERS);
    expect(mixed.total).toBeUndefined();
    expect(mixed.note).toContain('one currency');
    const partial = estimateOrder([{ output_type: 'still', quantity: 1 }, { output_type: '', quantity: 1 }], OTS, TIERS);
    expect(partial).toMatchObject({ lines: [25, undefined], note: 'some lines have no price yet' });
    expect(estimateOrder([{ output_type: 'still', quantity: NaN }], OTS, TIERS).lines).toEqual([undefined]);
  });
  it('offers per-line overrides only for graph output types', () => {
    expect(OTS.map(takesLineOverrides)).toEqual([false, true, false, false]);
  });
});

describe('intake', () => {
  it('follows the progress of a running intake', () => {
    const v = intakeView({ run_id: 'r', href: '/api/runs/r', status: 'running', progress: { done: 2, total: 6, fraction: 1 / 3, running: ['glb'] } });
    expect(v).toMatchObject({ status: 'running', done: false, label: '2 of 6 steps, running glb' });
    expect(v.fraction).toBeCloseTo(0.333, 3);
  });
  it('says when it is done, failed or missing', () => {
    expect(intakeView({ run_id: 'r', href: '/api/runs/r', status: 'succeeded', progress: { done: 6, total: 6, fraction: 1, running: [] } })).toMatchObject({ fraction: 1, done: true, label: 'done: 6 of 6 steps' });
    expect(intakeView({ run_id: 'r', href: '/api/runs/r', status: 'failed', progress: { done: 1, total: 6, fraction: 1.5, running: [] } })).toMatchObject({ fraction: 1, label: 'failed after 1 of 6 steps' });
    expect(intakeView(null)).toMatchObject({ status: 'none', done: false });
  });
});

describe('preflight pointers', () => {
  const line = { product: 'prd_1', output_type: 'studio still' };
  it('lead to the product, the output type at the right step, or the line', () => {
    expect(preflightTarget('/product/cad_file', line)).toMatchObject({ kind: 'product', href: '/products/prd_1' });
    expect(preflightTarget('/intake/status', line)).toMatchObject({ kind: 'product' });
    expect(preflightTarget('/cad_file/path', line)).toMatchObject({ kind: 'product', href: '/products/prd_1' });
    expect(preflightTarget('/output_type/overrides/template', line)).toMatchObject({ kind: 'output_type', href: '/output-types/studio%20still/edit?step=overrides' });
    expect(preflightTarget('/output_type/material_constraints/require_complete', line)).toMatchObject({ href: '/output-types/studio%20still/edit?step=commercial' });
    expect(preflightTarget('/output_type/legacy_render_settings/width', line)).toMatchObject({ href: '/output-types/studio%20still/edit' });
    expect(preflightTarget('/overrides/frames', line)).toMatchObject({ kind: 'line', field: 'overrides' });
    expect(preflightTarget('', line)).toEqual({ kind: 'none' });
  });
  it('lists runs newest first with their shadow partner', () => {
    expect(lineRuns({ runs: [{ run_id: 'a' }, { run_id: 'b', shadow_run_id: 'c' }] })).toEqual([
      { run: 'b', shadow: 'c', at: undefined },
      { run: 'a', shadow: undefined, at: undefined },
    ]);
  });
  it('blocks a second dispatch of a line in production or delivered', () => {
    expect(['new', 'in_production', 'delivered', 'failed', 'cancelled'].map((s) => !!dispatchBlocked(s))).toEqual([false, true, true, false, false]);
  });
  it('flattens settings into rows', () => {
    expect(settingRows({ width: 1, turntable: { enabled: true, fps: 24 }, tags: ['a'] })).toEqual([
      ['width', 1],
      ['turntable.enabled', true],
      ['turntable.fps', 24],
      ['tags', ['a']],
    ]);
  });
});

describe('product input', () => {
  it('keeps only the fields ProductInput names, without the ignored ones', () => {
    const schema = { properties: { id: {}, name: {}, sku: {}, category: {}, cad_file: {}, created_at: { description: 'Ignored.' } } };
    const got = productInput({ id: 'p', name: 'N', sku: 'S', category: 'c', cad_file: 'f', created_at: 't', revision: 3 } as never, schema);
    expect(got).toEqual({ id: 'p', name: 'N', sku: 'S', category: 'c', cad_file: 'f' });
    expect(productInput({ id: 'p', name: 'N', sku: 'S', category: 'c', cad_file: null, revision: 1 } as never, undefined)).toEqual({ id: 'p', name: 'N', sku: 'S', category: 'c', cad_file: null });
  });
});
