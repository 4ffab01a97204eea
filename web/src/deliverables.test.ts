import { describe, expect, it } from 'vitest';
import {
  deliverableFileName,
  kindLabel,
  lastSegment,
  lineDeliverables,
  nodeImages,
  notSentReason,
  previewWanted,
  runImages,
  runPicture,
  runPreview,
  runsToFetch,
  safeFileName,
} from './deliverables';
import { formatBytes } from './runs';
import type { Asset, OrderLine, RunDetail } from './types';

const KINDS = [
  { key: 'still_image', label: 'Still image', media_type: 'image/png' },
  { key: 'turntable_video', label: 'Turntable video', media_type: 'video/mp4' },
  { key: 'production_blend', label: 'Production .blend', media_type: 'application/x-blender' },
  { key: 'glb_model', label: 'GLB model', media_type: 'model/gltf-binary' },
];

const asset = (over: Partial<Asset>): Asset => ({
  id: 'asset_1',
  url: '/published/default/oli_1/render-still.png',
  media_type: 'image/png',
  size: 34198,
  run_id: 'run_1',
  node_id: 'publish',
  ...over,
});

describe('file names and sizes', () => {
  it('takes the last segment of a URL, decoded, without query or fragment', () => {
    expect(lastSegment('/published/default/oli_1/render-still.png')).toBe('render-still.png');
    expect(lastSegment('/a/b%20c.mp4?x=1#t')).toBe('b c.mp4');
    expect(lastSegment('/a/%E0%A4%A')).toBe('%E0%A4%A');
    expect(lastSegment('')).toBe('');
  });
  it('makes names safe for every OS', () => {
    expect(safeFileName('GB 100/x.png')).toBe('GB_100_x.png');
    expect(safeFileName('..hidden')).toBe('hidden');
    expect(safeFileName('///')).toBe('download');
  });
  it('puts the prefix before the published name', () => {
    expect(deliverableFileName(asset({}), 'GB-100')).toBe('GB-100-render-still.png');
    expect(deliverableFileName(asset({}))).toBe('render-still.png');
    expect(deliverableFileName({ url: '', published_path: 'assets/default/oli/render-blend.blend' })).toBe('render-blend.blend');
  });
  it('formats sizes in binary units', () => {
    expect(formatBytes(7018)).toBe('6.9 KiB');
    expect(formatBytes(247125)).toBe('241 KiB');
    expect(formatBytes(12)).toBe('12 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatBytes(undefined)).toBe('');
  });
  it('labels a media type from the vocabulary, else shows it', () => {
    expect(kindLabel('video/mp4', KINDS)).toBe('Turntable video');
    expect(kindLabel('model/gltf-binary; x=1', KINDS)).toBe('GLB model');
    expect(kindLabel('application/zip', KINDS)).toBe('application/zip');
    expect(kindLabel(undefined)).toBe('File');
  });
});

describe('lineDeliverables', () => {
  const byRun = {
    run_1: [
      asset({ id: 'b', url: '/published/default/oli_1/render-blend.blend', media_type: 'application/x-blender' }),
      asset({ id: 'v', url: '/published/default/oli_1/render-turntable.mp4', media_type: 'video/mp4' }),
      asset({ id: 'i' }),
      asset({ id: 's', shadow: true }),
    ],
    run_0: [asset({ id: 'old', run_id: 'run_0' })],
  };
  it("shows the latest run's assets, pictures first, without shadow ones", () => {
    const d = lineDeliverables({ runs: [{ run_id: 'run_0' }, { run_id: 'run_1' }] }, byRun, KINDS, 'GB');
    expect(d.map((x) => [x.asset.id, x.kind, x.label, x.fileName])).toEqual([
      ['i', 'image', 'Still image', 'GB-render-still.png'],
      ['v', 'video', 'Turntable video', 'GB-render-turntable.mp4'],
      ['b', 'download', 'Production .blend', 'GB-render-blend.blend'],
    ]);
  });
  it('is empty for a line without runs or before its assets arrive', () => {
    expect(lineDeliverables({ runs: [] }, byRun)).toEqual([]);
    expect(lineDeliverables({ runs: [{ run_id: 'run_9' }] }, byRun)).toEqual([]);
  });
  it("fetches each delivered line's latest run once", () => {
    const lines: Pick<OrderLine, 'status' | 'runs'>[] = [
      { status: 'delivered', runs: [{ run_id: 'a' }, { run_id: 'b' }] },
      { status: 'in_production', runs: [{ run_id: 'c' }] },
      { status: 'delivered', runs: [{ run_id: 'd' }] },
      { status: 'delivered', runs: [{ run_id: 'b' }] },
      { status: 'new', runs: [] },
    ];
    expect(runsToFetch(lines, {})).toEqual(['b', 'd']);
    expect(runsToFetch(lines, { d: [] })).toEqual(['b']);
  });
});

const img = (id: string, role?: string) => ({ artifact_id: id, media_type: 'image/png', role, width: 160, height: 120, size: 10 });

describe('run images', () => {
  const run: Pick<RunDetail, 'nodes' | 'doc'> = {
    doc: {
      workflow: {
        id: 'w',
        family: 'order_line',
        nodes: [
          { id: 'line', step: 'order.resolve_line' },
          { id: 'diff', step: 'x.diff' },
          { id: 'thumb', step: 'render.thumbnail' },
          { id: 'still', step: 'render.still' },
          { id: 'failed', step: 'render.still' },
        ],
        edges: [],
      } as never,
    },
    nodes: {
      line: { status: 'succeeded', state: { outputs: { glb: { artifact_id: 'r:line:glb', media_type: 'model/gltf-binary' }, count: 3 as never } } },
      diff: { status: 'succeeded', state: { outputs: { image: img('r:diff:image', 'parity.diff') } } },
      thumb: { status: 'succeeded', state: { outputs: { image: img('r:thumb:image', 'preview.thumbnail') } } },
      still: { status: 'succeeded', state: { outputs: { image: img('r:still:image', 'render.still'), alpha: img('r:still:alpha') } } },
      failed: { status: 'failed', state: { outputs: { image: img('r:failed:image', 'render.still') } } },
    },
  };
  it("lists a node's image outputs with their URL and size", () => {
    expect(nodeImages('still', run.nodes!.still.state)).toEqual([
      { nodeId: 'still', port: 'image', url: '/api/artifacts/r%3Astill%3Aimage', role: 'render.still', width: 160, height: 120 },
      { nodeId: 'still', port: 'alpha', url: '/api/artifacts/r%3Astill%3Aalpha', role: undefined, width: 160, height: 120 },
    ]);
    expect(nodeImages('line', run.nodes!.line.state)).toEqual([]);
    expect(nodeImages('x', undefined)).toEqual([]);
  });
  it('ranks renders, then thumbnails, then other images, then diffs; skips unsucceeded nodes', () => {
    expect(runImages(run).map((i) => `${i.nodeId}.${i.port}`)).toEqual(['still.image', 'thumb.image', 'still.alpha', 'diff.image']);
    expect(runPreview(run)?.url).toBe('/api/artifacts/r%3Astill%3Aimage');
  });
  it('counts the same bytes once (a render and its published copy)', () => {
    const r = {
      nodes: {
        publish: { status: 'succeeded' as const, state: { outputs: { asset: { ...img('r:publish:asset'), sha256: 'aa' } } } },
        still: { status: 'succeeded' as const, state: { outputs: { image: { ...img('r:still:image', 'render.still'), sha256: 'aa' } } } },
      },
    };
    expect(runImages(r).map((i) => i.nodeId)).toEqual(['still']);
  });
  it('has no preview for a run without images', () => {
    expect(runPreview({ nodes: { line: run.nodes!.line } })).toBeUndefined();
    expect(runPreview(undefined)).toBeUndefined();
  });
  it("stands for a run by its picture, else its render's video or file type", () => {
    expect(runPicture(run)).toEqual({ kind: 'image', url: '/api/artifacts/r%3Astill%3Aimage' });
    const template = { status: 'succeeded' as const, state: { outputs: { template: { artifact_id: 'r:tp:template', media_type: 'application/json', role: 'render.template' } } } };
    const video = { nodes: { template, turntable: { status: 'succeeded' as const, state: { outputs: { video: { artifact_id: 'r:t:video', media_type: 'video/mp4', role: 'render.turntable' } } } } } };
    expect(runPicture(video)).toEqual({ kind: 'video', url: '/api/artifacts/r%3At%3Avideo' });
    const blend = { nodes: { template, line: run.nodes!.line, blend: { status: 'succeeded' as const, state: { outputs: { blend: { artifact_id: 'r:b:blend', media_type: 'application/x-blender', role: 'render.blend' } } } } } };
    expect(runPicture(blend)).toEqual({ kind: 'file', label: 'BLEND' });
    expect(runPicture({ nodes: { line: run.nodes!.line } })).toBeUndefined();
    expect(runPicture({ nodes: { template } })).toBeUndefined();
  });
  it('fetches previews of finished runs only', () => {
    expect(previewWanted('succeeded')).toBe(true);
    expect(previewWanted('failed')).toBe(true);
    expect(previewWanted('running')).toBe(false);
    expect(previewWanted('cancelled')).toBe(false);
  });
});

describe('notSentReason', () => {
  it("says why a notify node sent nothing", () => {
    expect(notSentReason({ outputs: { delivery: { sent: false, reason: 'no webhook configured', attempts: 0 } as never } })).toBe('no webhook configured');
    expect(notSentReason({ outputs: { delivery: { sent: false } as never } })).toBe('nothing was sent');
  });
  it('is undefined when it sent, or for other nodes', () => {
    expect(notSentReason({ outputs: { delivery: { sent: true, status: 200 } as never } })).toBeUndefined();
    expect(notSentReason({ outputs: { image: img('x') } })).toBeUndefined();
    expect(notSentReason(undefined)).toBeUndefined();
  });
});
