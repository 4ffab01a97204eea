import { describe, expect, it } from 'vitest';
import { copySelection, freeSpot, pasteClip } from './clipboard';
import type { FlowNode, Graph } from './workflow';

const node = (id: string, step: string, x: number, y: number, selected = false, params: Record<string, unknown> = {}): FlowNode => ({
  id,
  type: 'module',
  position: { x, y },
  measured: { width: 200, height: 100 },
  data: { step, params, ui: {}, extra: {} },
  selected,
});
const graph = (nodes: FlowNode[], edges: Graph['edges'] = []): Graph => ({
  meta: { schema: 'prodflow.workflow/v1', id: 'w', name: 'W', family: 'cad_file', extra: {} },
  nodes,
  edges,
  invocation: { params: {}, artifacts: {} },
});
const none = () => undefined;

describe('copySelection', () => {
  it('copies the selected nodes with their params and the edges among them only', () => {
    const g = graph(
      [node('a', 'cad.export_glb', 0, 0, true, { deflection: 0.2 }), node('b', 'cad.compute_bbox', 300, 0, true), node('c', 'x.y', 600, 0)],
      [
        { id: 'e1', source: 'a', sourceHandle: 'glb', target: 'b', targetHandle: 'glb' },
        { id: 'e2', source: 'b', sourceHandle: 'bbox', target: 'c', targetHandle: 'bbox' },
      ],
    );
    const clip = copySelection(g)!;
    expect(clip.nodes.map((n) => n.id)).toEqual(['a', 'b']);
    expect(clip.nodes[0].data.params).toEqual({ deflection: 0.2 });
    expect(clip.edges).toEqual([{ source: 'a', sourceHandle: 'glb', target: 'b', targetHandle: 'glb' }]);
  });
  it('is null with nothing selected', () => {
    expect(copySelection(graph([node('a', 's', 0, 0)]))).toBeNull();
  });
});

describe('pasteClip', () => {
  it('adds copies under fresh ids with their params and inner edges, selected, in free space', () => {
    const g = graph([node('glb', 'cad.export_glb', 0, 0, true, { deflection: 0.2 }), node('bbox', 'cad.compute_bbox', 300, 0, true)], [{ id: 'e', source: 'glb', sourceHandle: 'glb', target: 'bbox', targetHandle: 'glb' }]);
    const { graph: out, added, skipped } = pasteClip(g, copySelection(g)!, none);
    expect(added).toEqual(['export_glb', 'compute_bbox']);
    expect(skipped).toEqual([]);
    const copy = out.nodes.find((n) => n.id === 'export_glb')!;
    expect(copy.data.params).toEqual({ deflection: 0.2 });
    expect(copy.data.params).not.toBe(g.nodes[0].data.params);
    expect(out.nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(added);
    expect(out.edges.map((e) => `${e.source}->${e.target}`)).toEqual(['glb->bbox', 'export_glb->compute_bbox']);
    // no pasted node covers an existing one
    for (const n of out.nodes.filter((x) => added.includes(x.id)))
      for (const o of g.nodes) expect(Math.abs(n.position.x - o.position.x) >= 200 || Math.abs(n.position.y - o.position.y) >= 100).toBe(true);
  });
  it('keeps the entry node to one, saying why', () => {
    const g = graph([node('resolve', 'cad.resolve_step_path', 0, 0, true)]);
    const r = pasteClip(g, copySelection(g)!, (s) => (s === 'cad.resolve_step_path' ? 'one entry' : undefined));
    expect(r.added).toEqual([]);
    expect(r.skipped).toEqual([{ id: 'resolve', reason: 'one entry' }]);
    expect(r.graph).toBe(g);
  });
});

describe('freeSpot', () => {
  const size = { width: 200, height: 100 };
  it('keeps the wanted spot when free', () => {
    expect(freeSpot([{ x: 1000, y: 1000, ...size }], size, { x: 0, y: 0 })).toEqual({ x: 0, y: 0 });
  });
  it('moves off a node, to the nearest free spot', () => {
    const p = freeSpot([{ x: 0, y: 0, ...size }], size, { x: 10, y: 10 });
    expect(p).not.toEqual({ x: 10, y: 10 });
    expect(Math.abs(p.x - 10) + Math.abs(p.y - 10)).toBeLessThanOrEqual(240);
  });
});
