import { describe, expect, it } from 'vitest';
import { quickAddHits } from './quickAdd';
import { definitions } from './testdata';
import type { Family, NodeDefinition } from './types';

const families = [
  { key: 'cad_file', label: 'CAD Intake', entry_step: 'cad.resolve', palette: [], artifact_kinds: [] },
  { key: 'order_line', label: 'Order Rendering', entry_step: 'order.line', palette: [], artifact_kinds: [] },
] as Family[];
const still: NodeDefinition = { ...definitions[3], step: 'render.still', family: ['order_line'], ui: { label: 'Render still', description: 'A still image' } };
const all = [...definitions, still];

describe('quickAddHits', () => {
  it('finds the family’s modules first, then others with where they live', () => {
    const hits = quickAddHits('render', all, 'cad_file', families);
    expect(hits.map((h) => [h.def.step, h.here])).toEqual([
      ['render.thumb', true],
      ['render.still', false],
    ]);
    expect(hits[1].where).toBe('Order Rendering');
  });
  it('ranks a label that starts with the query over one that contains it', () => {
    const hits = quickAddHits('glb', all, 'cad_file', families);
    expect(hits[0].def.step).toBe('cad.glb');
  });
  it('matches descriptions too, and lists everything for an empty query', () => {
    expect(quickAddHits('still image', all, 'cad_file', families).map((h) => h.def.step)).toEqual(['render.still']);
    expect(quickAddHits('', all, 'cad_file', families)).toHaveLength(all.length);
    expect(quickAddHits('zzz', all, 'cad_file', families)).toEqual([]);
  });
});
