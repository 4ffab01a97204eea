import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { WorkflowDoc } from './types';
import { edgeIds, graphToWorkflow, newNodeId, pruneInvocation, slugify, workflowToGraph } from './workflow';

const doc: WorkflowDoc = {
  schema: 'prodflow.workflow/v1',
  id: 'demo',
  name: 'Demo',
  description: 'two nodes',
  family: 'cad_file',
  version: 3,
  nodes: [
    { id: 'r', step: 'cad.resolve', params: {}, ui: { x: 0, y: 140 }, policy: { retries: 0, on_failure: 'fail_run' } },
    { id: 'g', step: 'cad.glb', label: 'Mesh it', params: { linear_deflection: 0.25 }, ui: { x: 260, y: 140, collapsed: true } },
  ],
  edges: [{ from: { node: 'r', port: 'step' }, to: { node: 'g', port: 'step' } }],
  invocation: {
    params: { deflection: { schema: { type: 'number', default: 0.1 }, targets: ['g.linear_deflection'] } },
    artifacts: { 'cad.glb': { kind: 'glb_model', from: 'g.glb' } },
  },
};

describe('workflowToGraph', () => {
  it('makes React Flow nodes positioned from ui {x, y}', () => {
    const { graph, unplaced } = workflowToGraph(doc);
    expect(unplaced).toEqual([]);
    expect(graph.nodes.map((n) => [n.id, n.type, n.position])).toEqual([
      ['r', 'module', { x: 0, y: 140 }],
      ['g', 'module', { x: 260, y: 140 }],
    ]);
    expect(graph.nodes[1].data).toMatchObject({ step: 'cad.glb', label: 'Mesh it', params: { linear_deflection: 0.25 }, ui: { collapsed: true } });
  });
  it('makes edges whose handles are the port names', () => {
    const { graph } = workflowToGraph(doc);
    expect(graph.edges).toEqual([{ id: 'r.step->g.step', source: 'r', sourceHandle: 'step', target: 'g', targetHandle: 'step' }]);
  });
  it('reports nodes without a position', () => {
    const { graph, unplaced } = workflowToGraph({ ...doc, nodes: [{ id: 'a', step: 's' }, { id: 'b', step: 's', ui: { x: 1 } }] });
    expect(unplaced).toEqual(['a', 'b']);
    expect(graph.nodes[0].position).toEqual({ x: 0, y: 0 });
  });
  it('copies params, so editing the graph leaves the document alone', () => {
    const { graph } = workflowToGraph(doc);
    graph.nodes[1].data.params.linear_deflection = 9;
    expect(doc.nodes[1].params!.linear_deflection).toBe(0.25);
  });
});

describe('graphToWorkflow', () => {
  it('round-trips a document', () => {
    expect(graphToWorkflow(workflowToGraph(doc).graph)).toEqual(doc);
  });
  it('keeps unknown keys at every level', () => {
    const odd = { ...doc, owner: 'x', nodes: [{ ...doc.nodes[0], note: 'keep' }] , edges: [] } as WorkflowDoc;
    const out = graphToWorkflow(workflowToGraph(odd).graph);
    expect(out.owner).toBe('x');
    expect(out.nodes[0].note).toBe('keep');
  });
  it('writes moved positions as whole numbers into ui', () => {
    const { graph } = workflowToGraph(doc);
    graph.nodes[0].position = { x: 10.6, y: -3.2 };
    expect(graphToWorkflow(graph).nodes[0].ui).toEqual({ x: 11, y: -3 });
  });
  it('writes edges in editor order', () => {
    const { graph } = workflowToGraph(doc);
    graph.edges.push({ id: 'new', source: 'g', sourceHandle: 'glb', target: 'r', targetHandle: 'x' });
    expect(graphToWorkflow(graph).edges[1]).toEqual({ from: { node: 'g', port: 'glb' }, to: { node: 'r', port: 'x' } });
  });
  it('round-trips every starter workflow shipped in share/', () => {
    const dir = new URL('../../share/workflows/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const starter = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as WorkflowDoc;
      const back = graphToWorkflow(workflowToGraph(starter).graph);
      // The editor always writes params, ui and an invocation; everything else is equal.
      const norm = (d: WorkflowDoc) => ({
        ...d,
        nodes: d.nodes.map((n) => ({ ...n, params: n.params ?? {} })),
        invocation: { params: d.invocation?.params ?? {}, artifacts: d.invocation?.artifacts ?? {} },
      });
      expect(back, f).toEqual(norm(starter));
    }
  });
});

describe('helpers', () => {
  it('gives repeated edges distinct ids', () => {
    const e = doc.edges[0];
    expect(edgeIds([e, e, e])).toEqual(['r.step->g.step', 'r.step->g.step#2', 'r.step->g.step#3']);
  });
  it('names new nodes after the verb of their step', () => {
    expect(newNodeId('cad.export_glb', [])).toBe('export_glb');
    expect(newNodeId('cad.export_glb', ['export_glb', 'export_glb_2'])).toBe('export_glb_3');
  });
  it('suggests workflow ids from names', () => {
    expect(slugify('  My Intake: v2!  ')).toBe('my-intake-v2');
  });
  it('drops invocation bindings to removed nodes', () => {
    const inv = pruneInvocation(doc.invocation!, new Set(['g']));
    expect(inv).toEqual({ params: {}, artifacts: {} });
    expect(pruneInvocation(doc.invocation!, new Set(['r']))).toEqual(doc.invocation);
  });
});
