import { describe, expect, it } from 'vitest';
import { awaitingIntake, demoProduct, intakeWait, isFreshInstall, newest } from './home';
import type { CadFile, Product, RunSummary } from './types';

const product = (p: Partial<Product>): Product => ({ id: 'prd_1', name: 'P', sku: 'P-1', category: 'machinery', cad_file: 'cad_1', ...p });

describe('home', () => {
  it('lists the newest first, a few', () => {
    const items = [
      { id: 'a', created_at: '2026-01-01T00:00:00Z' },
      { id: 'c', created_at: '2026-03-01T00:00:00Z' },
      { id: 'b', created_at: '2026-02-01T00:00:00Z' },
    ];
    expect(newest(items, 2).map((x) => x.id)).toEqual(['c', 'b']);
  });
  it('says why a product waits for its intake', () => {
    const cases: [Partial<Product>, string | null][] = [
      [{ cad_file: null }, 'no-cad-file'],
      [{ cad_intake: { run_id: 'r', href: '/api/runs/r', status: 'running' } }, 'running'],
      [{ cad_intake: { run_id: 'r', href: '/api/runs/r', status: 'failed' } }, 'failed'],
      [{ cad_intake: null }, 'not-started'],
      [{ cad_intake: { run_id: 'r', href: '/api/runs/r', status: 'succeeded' } }, null],
    ];
    for (const [p, want] of cases) expect(intakeWait(product(p))).toBe(want);
    expect(awaitingIntake([product({ cad_file: null }), product({ cad_intake: { run_id: 'r', href: '/api/runs/r', status: 'succeeded' } })]).map((x) => x.why)).toEqual(['needs a STEP file']);
    // the list's products carry no intake: their CAD file's says
    const cad: CadFile = { id: 'cad_1', sha256: 'x', size: 1, path: 'cad/x.step', intake_run_id: 'r', intake: { run_id: 'r', href: '/api/runs/r', status: 'running' } };
    expect(awaitingIntake([product({})], [cad]).map((x) => x.why)).toEqual(['intake running']);
    expect(awaitingIntake([product({})], [{ ...cad, intake: { run_id: 'r', href: '/api/runs/r', status: 'succeeded' } }])).toEqual([]);
  });
  it('finds the demo gearbox', () => {
    expect(demoProduct([product({ sku: 'X' }), product({ id: 'prd_gb', sku: 'GB-100' })])?.id).toBe('prd_gb');
    expect(demoProduct([product({ sku: 'X' })])).toBeUndefined();
  });
  it('knows a fresh install: no orders, no order runs (the demo intake does not count)', () => {
    const intake: RunSummary = { id: 'run_1', family: 'cad_file', status: 'succeeded' };
    expect(isFreshInstall([], [intake])).toBe(true);
    expect(isFreshInstall([], [{ ...intake, family: 'order_line' }])).toBe(false);
    expect(isFreshInstall([{ id: 'ord_1', lines: [] }], [])).toBe(false);
  });
});
