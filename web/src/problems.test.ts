import { describe, expect, it } from 'vitest';
import { describeTarget, indexProblems, mapProblems, parsePointer, problemTarget } from './problems';
import type { WorkflowDoc } from './types';
import { graphToWorkflow, workflowToGraph } from './workflow';

const doc: WorkflowDoc = {
  schema: 'prodflow.workflow/v1',
  id: 'x',
  name: 'X',
  family: 'cad_file',
  nodes: [
    { id: 'r', step: 'cad.resolve_step_path' },
    { id: 'a', step: 'order.resolve_line' },
    { id: 'g', step: 'cad.export_glb' },
  ],
  edges: [
    { from: { node: 'r', port: 'step' }, to: { node: 'g', port: 'step' } },
    { from: { node: 'r', port: 'step' }, to: { node: 'a', port: 'zz' } },
  ],
};

describe('parsePointer', () => {
  it('splits and unescapes RFC 6901 pointers', () => {
    expect(parsePointer('/nodes/3/params/a~1b~0c')).toEqual(['nodes', '3', 'params', 'a/b~c']);
    expect(parsePointer('')).toEqual([]);
  });
});

describe('problemTarget', () => {
  it('pins /nodes/N/... to the node at index N of the sent document', () => {
    expect(problemTarget('/nodes/1/step', doc)).toEqual({ kind: 'node', nodeId: 'a' });
    expect(problemTarget('/nodes/2', doc)).toEqual({ kind: 'node', nodeId: 'g' });
    expect(problemTarget('/nodes/2/params/linear_deflection', doc)).toEqual({ kind: 'node', nodeId: 'g' });
  });
  it('pins /edges/N/... to edge N', () => {
    expect(problemTarget('/edges/1/to/port', doc)).toEqual({ kind: 'edge', edgeId: 'r.step->a.zz' });
    expect(problemTarget('/edges/0', doc)).toEqual({ kind: 'edge', edgeId: 'r.step->g.step' });
  });
  it('uses the same edge ids as the graph', () => {
    const { graph } = workflowToGraph(doc);
    const t = problemTarget('/edges/1', graphToWorkflow(graph));
    expect(t.kind === 'edge' && graph.edges.some((e) => e.id === t.edgeId)).toBe(true);
  });
  it('pins invocation problems to their entry', () => {
    expect(problemTarget('/invocation/params/deflection/targets/0', doc)).toEqual({ kind: 'invocation', section: 'params', name: 'deflection' });
    expect(problemTarget('/invocation/artifacts/cad~1glb/kind', doc)).toEqual({ kind: 'invocation', section: 'artifacts', name: 'cad/glb' });
  });
  it('shows everything else globally', () => {
    for (const p of ['/nodes', '/nodes/7/step', '/nodes/01', '/edges/x', '/family', '/id', '', '/']) {
      expect(problemTarget(p, doc), p).toEqual({ kind: 'workflow' });
    }
  });
});

describe('mapProblems and indexProblems', () => {
  it('groups server problems by node, edge and global', () => {
    const problems = mapProblems(
      [
        { code: 'invalid', pointer: '/nodes/1/step', message: 'belongs to family order_line' },
        { code: 'invalid', pointer: '/nodes/1/step', message: 'second entry node' },
        { code: 'invalid', pointer: '/edges/1/to/port', message: 'no input port "zz"' },
        { code: 'invalid', pointer: '/nodes', message: 'no entry node' },
      ],
      doc,
    );
    const idx = indexProblems(problems);
    expect(idx.byNode.get('a')!.map((p) => p.message)).toEqual(['belongs to family order_line', 'second entry node']);
    expect(idx.byNode.has('r')).toBe(false);
    expect(idx.byEdge.get('r.step->a.zz')!.length).toBe(1);
    expect(idx.global.map((p) => p.pointer)).toEqual(['/nodes']);
    expect(describeTarget(problems[0].target)).toBe('node a');
    expect(describeTarget(problems[2].target)).toBe('edge r.step → a.zz');
  });
});
