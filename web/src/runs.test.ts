import { describe, expect, it } from 'vitest';
import {
  applyRunEvent,
  artifactForRole,
  cacheText,
  contextTemplate,
  downloadName,
  formatBytes,
  formatDuration,
  formatValue,
  inShadowPair,
  nodeRunInfo,
  paramRows,
  parityImages,
  parseJsonObject,
  parseRunEvent,
  previewKind,
  progressText,
  runActions,
  runDuration,
  runGraph,
  sourceLabel,
  splitOutputs,
  statusCounts,
  subjectText,
} from './runs';
import { definition } from './testdata';
import type { NodeDefinition, ParityReport, RunDetail, WorkflowDoc } from './types';

// Shaped like GET /api/runs/{id} (trimmed from a real CAD intake run).
const workflow: WorkflowDoc = {
  schema: 'prodflow.workflow/v1',
  id: 'starter-cad-intake',
  name: 'CAD Intake',
  family: 'cad_file',
  version: 1,
  nodes: [
    { id: 'glb', step: 'cad.glb', params: {}, ui: { x: 260, y: 140 } },
    { id: 'resolve', step: 'cad.resolve', params: {}, ui: { x: 0, y: 140 } },
    { id: 'thumb', step: 'render.thumb', params: {}, ui: { x: 520, y: 140 } },
  ],
  edges: [
    { from: { node: 'resolve', port: 'step' }, to: { node: 'glb', port: 'step' } },
    { from: { node: 'glb', port: 'glb' }, to: { node: 'thumb', port: 'glb' } },
  ],
  invocation: {
    params: { deflection: { schema: { type: 'number' }, targets: ['glb.linear_deflection'] } },
    artifacts: { 'render.thumbnail': { kind: 'preview_thumbnail', from: 'thumb.image' } },
  },
};

function makeRun(over: Partial<RunDetail> = {}): RunDetail {
  return {
    id: 'run_A',
    workflow_id: 'starter-cad-intake',
    workflow_version: 1,
    family: 'cad_file',
    status: 'running',
    created_at: '2026-11-25T20:10:02.425Z',
    updated_at: '2026-11-25T20:10:03.718Z',
    doc: { workflow, context: { step_path: 'gearbox.step' }, overrides: { deflection: 0.2 } },
    nodes: {
      resolve: {
        status: 'succeeded',
        state: {
          attempts: [{ attempt: 1, status: 'succeeded', started_at: '2026-11-25T20:10:02.430Z', finished_at: '2026-11-25T20:10:02.490Z' }],
          cache: { hit: true, key: 'k1' },
        },
      },
      glb: {
        status: 'succeeded',
        state: {
          params: { linear_deflection: 0.2, units: 'm' },
          param_sources: {
            linear_deflection: { value: 0.2, source: 'invocation', via: 'deflection' },
            units: { value: 'm', source: 'default' },
          },
          cache: { hit: false, reason: 'params changed', changed: ['linear_deflection'], key: 'k2' },
        },
      },
      thumb: { status: 'running', state: {} },
    },
    ...over,
  };
}

describe('parseRunEvent', () => {
  it('reads node events with their cache verdict and error', () => {
    expect(parseRunEvent('node', '{"node":"glb","status":"running"}')).toEqual({ type: 'node', node: 'glb', status: 'running' });
    const ev = parseRunEvent(
      'node',
      '{"cache":{"hit":false,"reason":"input changed","changed":["$context"]},"error":{"code":"not_found","message":"nope.step does not exist","pointer":"/context/step_path"},"node":"resolve","status":"failed"}',
    );
    expect(ev).toEqual({
      type: 'node',
      node: 'resolve',
      status: 'failed',
      cache: { hit: false, reason: 'input changed', changed: ['$context'] },
      error: { code: 'not_found', message: 'nope.step does not exist', pointer: '/context/step_path' },
    });
  });
  it('reads run events and the server problem of an error event', () => {
    expect(parseRunEvent('run', '{"id":"run_A","status":"succeeded"}')).toEqual({ type: 'run', id: 'run_A', status: 'succeeded' });
    expect(parseRunEvent('error', '{"code":"not_found","pointer":"","message":"no run run_X"}')).toEqual({ type: 'error', message: 'no run run_X' });
  });
  it('drops what is not an event', () => {
    expect(parseRunEvent('node', 'not json')).toBeNull();
    expect(parseRunEvent('node', '[]')).toBeNull();
    expect(parseRunEvent('node', '{"node":"a","status":"exploded"}')).toBeNull();
    expect(parseRunEvent('node', '{"status":"running"}')).toBeNull();
    expect(parseRunEvent('run', '{"id":"x"}')).toBeNull();
    expect(parseRunEvent('tick', '{}')).toBeNull();
  });
});

describe('applyRunEvent', () => {
  it('updates one node, keeping its state and merging the cache verdict', () => {
    const run = makeRun();
    const next = applyRunEvent(run, { type: 'node', node: 'thumb', status: 'succeeded', cache: { hit: false, reason: 'no entry' } });
    expect(next.nodes!.thumb).toEqual({ status: 'succeeded', state: { cache: { hit: false, reason: 'no entry' } } });
    expect(next.nodes!.glb).toBe(run.nodes!.glb);
    expect(run.nodes!.thumb.status).toBe('running');
  });
  it('adds nodes it did not know and sets the run status', () => {
    const run = makeRun({ nodes: {} });
    expect(applyRunEvent(run, { type: 'node', node: 'glb', status: 'running' }).nodes).toEqual({ glb: { status: 'running', state: {} } });
    expect(applyRunEvent(run, { type: 'run', id: 'run_A', status: 'failed' }).status).toBe('failed');
  });
  it('returns the same run when nothing changes', () => {
    const run = makeRun();
    expect(applyRunEvent(run, { type: 'node', node: 'thumb', status: 'running' })).toBe(run);
    expect(applyRunEvent(run, { type: 'run', id: 'run_A', status: 'running' })).toBe(run);
    expect(applyRunEvent(run, { type: 'error', message: 'x' })).toBe(run);
  });
});

describe('runGraph', () => {
  it('places nodes at their stored positions with their status', () => {
    const { nodes, edges } = runGraph(makeRun());
    const byId = Object.fromEntries(nodes.map((n) => [n.id, n]));
    expect(byId.resolve.position).toEqual({ x: 0, y: 140 });
    expect(byId.thumb.position).toEqual({ x: 520, y: 140 });
    expect(byId.resolve.data.run).toEqual({ status: 'succeeded', cacheHit: true, attempts: 1 });
    expect(byId.glb.data.run).toEqual({ status: 'succeeded', cacheHit: false });
    expect(byId.thumb.data.run).toEqual({ status: 'running', progress: {} });
    expect(nodes.every((n) => n.draggable === false && n.connectable === false && n.type === 'module')).toBe(true);
    expect(edges.map((e) => e.id)).toEqual(['resolve.step->glb.step', 'glb.glb->thumb.glb']);
    expect(edges[0]).toMatchObject({ source: 'resolve', sourceHandle: 'step', target: 'glb', targetHandle: 'step' });
  });
  it('lays out nodes without positions, and shows nodes without state as pending', () => {
    const doc = { ...workflow, nodes: workflow.nodes.map(({ ui: _ui, ...n }) => n) };
    const run = makeRun({ doc: { workflow: doc }, nodes: {} });
    const { nodes } = runGraph(run);
    const x = (id: string) => nodes.find((n) => n.id === id)!.position.x;
    expect(x('resolve')).toBeLessThan(x('glb'));
    expect(x('glb')).toBeLessThan(x('thumb'));
    expect(nodes.every((n) => n.data.run?.status === 'pending')).toBe(true);
  });
  it('has nothing to draw without a workflow', () => {
    expect(runGraph(makeRun({ doc: undefined }))).toEqual({ nodes: [], edges: [] });
  });
});

describe('nodeRunInfo', () => {
  it('says why a node failed or was skipped', () => {
    expect(nodeRunInfo({ status: 'failed', state: { error: { code: 'not_found', pointer: '/context/step_path', message: 'gone' } } }).message).toBe('gone');
    expect(nodeRunInfo({ status: 'skipped', state: { reason: 'node resolve failed' } }).message).toBe('node resolve failed');
    expect(nodeRunInfo({ status: 'succeeded', state: { reason: 'stale' } }).message).toBeUndefined();
    expect(nodeRunInfo(undefined)).toEqual({ status: 'pending' });
  });
});

describe('statusCounts and progressText', () => {
  it('counts every node of the workflow', () => {
    const run = makeRun();
    expect(statusCounts(run)).toMatchObject({ succeeded: 2, running: 1, pending: 0 });
    expect(progressText(run)).toBe('2 of 3 nodes succeeded · 1 running');
    expect(progressText(makeRun({ nodes: {} }))).toBe('0 of 3 nodes succeeded');
  });
});

describe('runActions', () => {
  it('offers cancel while running and re-run after failure or cancellation', () => {
    expect(runActions('running')).toEqual({ cancel: true, rerun: false });
    expect(runActions('succeeded')).toEqual({ cancel: false, rerun: false });
    expect(runActions('failed')).toEqual({ cancel: false, rerun: true });
    expect(runActions('cancelled')).toEqual({ cancel: false, rerun: true });
  });
});

describe('parameters and their sources', () => {
  const def: NodeDefinition = {
    ...definition('cad.glb')!,
    param_schema: {
      type: 'object',
      properties: { units: { type: 'string', title: 'Units' }, linear_deflection: { type: 'number', title: 'Linear deflection' } },
    },
    ui: { label: 'GLB', field_order: ['linear_deflection'] },
  };
  it('labels sources, with the invocation parameter that routed the value', () => {
    expect(sourceLabel({ source: 'default' })).toBe('default');
    expect(sourceLabel({ source: 'node' })).toBe('node');
    expect(sourceLabel({ source: 'invocation', via: 'deflection' })).toBe('invocation · deflection');
    expect(sourceLabel({ source: 'order_line', via: 'width' })).toBe('order line · width');
    expect(sourceLabel({ source: 'future' })).toBe('future');
    expect(sourceLabel(undefined)).toBe('unknown');
  });
  it('orders rows by the definition and keeps unknown params', () => {
    const state = makeRun().nodes!.glb.state!;
    const rows = paramRows({ ...state, params: { ...state.params, extra: 1 } }, def);
    expect(rows.map((r) => r.name)).toEqual(['linear_deflection', 'units', 'extra']);
    expect(rows[0]).toEqual({ name: 'linear_deflection', title: 'Linear deflection', value: 0.2, source: { value: 0.2, source: 'invocation', via: 'deflection' } });
    expect(rows[2]).toEqual({ name: 'extra', value: 1 });
    expect(paramRows(state).map((r) => r.name)).toEqual(['linear_deflection', 'units']);
    expect(paramRows(undefined, def)).toEqual([]);
  });
  it('formats values as compact JSON', () => {
    expect(formatValue('png')).toBe('"png"');
    expect(formatValue('')).toBe('""');
    expect(formatValue(0.25)).toBe('0.25');
    expect(formatValue({ a: [1, true] })).toBe('{"a":[1,true]}');
    expect(formatValue(undefined)).toBe('—');
  });
});

describe('cacheText', () => {
  it('explains hits and misses', () => {
    expect(cacheText({ hit: true, key: 'k' })).toBe('hit: outputs reused');
    expect(cacheText({ hit: false, reason: 'params changed', changed: ['linear_deflection', 'units'] })).toBe('miss: params changed (linear_deflection, units)');
    expect(cacheText({ hit: false, reason: 'side-effecting module: never cached' })).toBe('miss: side-effecting module: never cached');
    expect(cacheText(undefined)).toBeUndefined();
  });
});

describe('outputs', () => {
  it('picks the preview from the media type', () => {
    expect(previewKind('image/png')).toBe('image');
    expect(previewKind('image/webp')).toBe('image');
    expect(previewKind('IMAGE/PNG; charset=binary')).toBe('image');
    expect(previewKind('video/mp4')).toBe('video');
    expect(previewKind('model/gltf-binary')).toBe('download');
    expect(previewKind('application/x-blender')).toBe('download');
    expect(previewKind('application/json')).toBe('download');
    expect(previewKind('image/svg+xml')).toBe('download');
    expect(previewKind(undefined)).toBe('download');
  });
  it('names downloads after the node and port', () => {
    expect(downloadName('glb', 'glb', 'model/gltf-binary')).toBe('glb-glb.glb');
    expect(downloadName('blend', 'blend', 'application/x-blender')).toBe('blend-blend.blend');
    expect(downloadName('a b', 'x/y', 'application/octet-stream')).toBe('a_b-x_y');
  });
  it('tells artifacts from plain values', () => {
    const { files, values } = splitOutputs({
      image: { media_type: 'image/png', artifact_id: 'run_A:thumb:image' },
      line: { id: 'line_1', product: { name: 'gearbox' } },
      n: 3 as unknown as never,
    });
    expect(files.map(([p]) => p)).toEqual(['image']);
    expect(values.map(([p]) => p)).toEqual(['line', 'n']);
  });
  it('formats sizes', () => {
    expect(formatBytes(435)).toBe('435 B');
    expect(formatBytes(65584)).toBe('64 KiB');
    expect(formatBytes(3 * 1024 * 1024 + 1)).toBe('3.0 MiB');
    expect(formatBytes(undefined)).toBe('');
  });
});

describe('times', () => {
  it('formats durations', () => {
    expect(formatDuration(60)).toBe('60 ms');
    expect(formatDuration(1293)).toBe('1.29 s');
    expect(formatDuration(42_000)).toBe('42.0 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(undefined)).toBe('');
  });
  it('measures a run once it is over', () => {
    expect(runDuration(makeRun())).toBeUndefined();
    expect(runDuration(makeRun({ status: 'succeeded' }))).toBe(1293);
  });
});

describe('starting runs', () => {
  it('prefills the required context properties', () => {
    const schema = {
      type: 'object',
      required: ['step_path', 'n', 'flag'],
      properties: { step_path: { type: 'string', minLength: 1 }, n: { type: 'integer', default: 3 }, flag: { type: 'boolean' }, product_id: { type: 'string' } },
    };
    expect(contextTemplate(schema)).toEqual({ step_path: '', n: 3, flag: false });
    expect(contextTemplate(undefined)).toEqual({});
  });
  it('parses the JSON fields, pinning problems to the request', () => {
    expect(parseJsonObject('{"step_path": "a.step"}', '/context')).toEqual({ value: { step_path: 'a.step' } });
    expect(parseJsonObject('  ', '/overrides')).toEqual({ value: {} });
    expect(parseJsonObject('[1]', '/overrides')).toEqual({ error: { code: 'invalid', pointer: '/overrides', message: 'must be a JSON object' } });
    const bad = parseJsonObject('{"a":', '/context');
    expect('error' in bad && bad.error.pointer).toBe('/context');
    expect('error' in bad && bad.error.message).toMatch(/^not valid JSON/);
  });
});

describe('shadow pairs and parity', () => {
  const legacy = makeRun({
    id: 'run_L',
    status: 'succeeded',
    subject: { output_type: 'drift', mode: 'legacy' },
    nodes: { thumb: { status: 'succeeded', state: { outputs: { image: { media_type: 'image/png', artifact_id: 'run_L:thumb:image' } } } } },
  });
  const graph = makeRun({
    id: 'run_G',
    status: 'succeeded',
    subject: { output_type: 'drift', mode: 'shadow', shadow_of: 'run_L' },
    nodes: { thumb: { status: 'succeeded', state: { outputs: { image: { media_type: 'image/png', artifact_id: 'run_G:thumb:image' } } } } },
  });
  it('knows a run is in a pair from its subject or its partner', () => {
    expect(inShadowPair(graph, [])).toBe(true);
    expect(inShadowPair(legacy, [graph])).toBe(true);
    expect(inShadowPair(legacy, [legacy])).toBe(false);
    expect(inShadowPair(makeRun(), [graph])).toBe(false);
  });
  it('summarises subjects', () => {
    expect(subjectText(graph.subject)).toBe('output_type: drift · mode: shadow · shadow_of: run_L');
    expect(subjectText(null)).toBe('');
    expect(subjectText('line 7')).toBe('line 7');
  });
  it('finds each run’s artifact for a role through its invocation', () => {
    expect(artifactForRole(legacy, 'render.thumbnail')?.artifact_id).toBe('run_L:thumb:image');
    expect(artifactForRole(legacy, 'cad.glb')).toBeUndefined();
    expect(artifactForRole(makeRun(), 'render.thumbnail')).toBeUndefined();
  });
  it('pairs the image artifacts of a report', () => {
    const report: ParityReport = {
      legacy_run: 'run_L',
      graph_run: 'run_G',
      identical: false,
      differences: [{ what: 'render.thumbnail pixels', differing_pixels: 3 }],
      artifacts: [
        { role: 'render.thumbnail', kind: { legacy: 'preview_thumbnail', graph: 'preview_thumbnail' }, media_type: { legacy: 'image/png', graph: 'image/png' } },
        { role: 'cad.glb', media_type: { legacy: 'model/gltf-binary', graph: 'model/gltf-binary' } },
      ],
    };
    const images = parityImages(report, legacy, graph);
    expect(images.map((i) => [i.role, i.legacy?.artifact_id, i.graph?.artifact_id])).toEqual([['render.thumbnail', 'run_L:thumb:image', 'run_G:thumb:image']]);
    expect(parityImages(report, legacy, undefined)[0].graph).toBeUndefined();
  });
});
