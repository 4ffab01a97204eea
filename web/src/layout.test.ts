import { describe, expect, it } from 'vitest';
import { depths, estimatedHeight, layeredLayout } from './layout';

const n = (id: string, height = 100) => ({ id, height });

describe('layeredLayout', () => {
  it('puts each node in the column of its longest path from a source', () => {
    const nodes = [n('a'), n('b'), n('c'), n('d')];
    const edges = [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
      { source: 'a', target: 'c' },
      { source: 'a', target: 'd' },
    ];
    expect(Object.fromEntries(depths(nodes, edges))).toEqual({ a: 0, b: 1, c: 2, d: 1 });
    const pos = layeredLayout(nodes, edges, { columnWidth: 300, gapY: 40 });
    expect(pos.get('a')!.x).toBe(0);
    expect(pos.get('b')!.x).toBe(300);
    expect(pos.get('d')!.x).toBe(300);
    expect(pos.get('c')!.x).toBe(600);
  });
  it('stacks a column without overlap', () => {
    const nodes = [n('a'), n('b', 80), n('c', 120)];
    const pos = layeredLayout(nodes, [], { gapY: 40 });
    const ys = ['a', 'b', 'c'].map((id) => pos.get(id)!.y);
    expect(ys[1] - ys[0]).toBe(140);
    expect(ys[2] - ys[1]).toBe(120);
  });
  it('survives cycles and unknown edge ends', () => {
    const nodes = [n('a'), n('b'), n('c')];
    const pos = layeredLayout(nodes, [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
      { source: 'c', target: 'b' },
      { source: 'zz', target: 'a' },
    ]);
    expect(pos.size).toBe(3);
    expect(pos.get('a')!.x).toBe(0);
  });
});

describe('estimatedHeight', () => {
  it('grows with the longer side of ports and with the unavailable line', () => {
    const def = (i: number, o: number, available = true) => ({ input_contract: Array(i).fill(0), output_contract: Array(o).fill(0), available });
    expect(estimatedHeight(undefined)).toBe(102);
    expect(estimatedHeight(def(1, 3))).toBe(78 + 72);
    expect(estimatedHeight(def(2, 0, false))).toBe(78 + 48 + 18);
  });
});
