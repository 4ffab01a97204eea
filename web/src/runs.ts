// The run view's pure logic: run JSON -> React Flow graph with live node
// statuses, Server-Sent Event payloads, parameter sources, cache verdicts,
// artifact previews and the parity pair. Nothing here names a module: labels
// and ports come from the node definitions, everything else from the run.
import { layeredLayout } from './layout';
import type { NodeProgress } from './progress';
import type {
  ApiError,
  CacheVerdict,
  JSONSchema,
  NodeDefinition,
  NodeOutput,
  NodeState,
  NodeStatus,
  ParamSource,
  ParityReport,
  RunAttempt,
  RunDetail,
  RunNode,
  RunStatus,
  RunSummary,
} from './types';
import { workflowToGraph, type FlowEdge, type FlowNode } from './workflow';

export const NODE_STATUSES: readonly NodeStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isRunOver = (status: RunStatus | string) => status !== 'running';

/** Which of Cancel and Re-run the server accepts in a status. */
export function runActions(status: RunStatus | string): { cancel: boolean; rerun: boolean } {
  return { cancel: status === 'running', rerun: status === 'failed' || status === 'cancelled' };
}

// ---- live events --------------------------------------------------------------

export type RunEvent =
  | { type: 'node'; node: string; status: NodeStatus; cache?: CacheVerdict; error?: ApiError }
  | { type: 'run'; id: string; status: RunStatus }
  | { type: 'error'; message: string };

/**
 * One Server-Sent Event of GET /api/runs/{id}/events as a RunEvent, or null
 * when the payload is not one (unknown event, bad JSON, missing fields).
 * "error" events carry the server's problem (the run is gone).
 */
export function parseRunEvent(type: string, data: string): RunEvent | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(v)) return null;
  if (type === 'node') {
    if (typeof v.node !== 'string' || typeof v.status !== 'string' || !NODE_STATUSES.includes(v.status as NodeStatus)) return null;
    const ev: RunEvent = { type: 'node', node: v.node, status: v.status as NodeStatus };
    if (isObject(v.cache) && typeof v.cache.hit === 'boolean') ev.cache = v.cache as unknown as CacheVerdict;
    if (isObject(v.error) && typeof v.error.message === 'string') ev.error = v.error as unknown as ApiError;
    return ev;
  }
  if (type === 'run') {
    if (typeof v.status !== 'string') return null;
    return { type: 'run', id: typeof v.id === 'string' ? v.id : '', status: v.status as RunStatus };
  }
  if (type === 'error') {
    const message = typeof v.message === 'string' ? v.message : typeof v.detail === 'string' ? v.detail : 'the event stream failed';
    return { type: 'error', message };
  }
  return null;
}

/** The run with one event applied; the same object when nothing changes. */
export function applyRunEvent(run: RunDetail, ev: RunEvent): RunDetail {
  if (ev.type === 'run') return ev.status === run.status ? run : { ...run, status: ev.status };
  if (ev.type !== 'node') return run;
  const before = run.nodes?.[ev.node];
  const state: NodeState = { ...(before?.state ?? {}) };
  if (ev.cache) state.cache = ev.cache;
  if (ev.error) state.error = ev.error;
  if (before && before.status === ev.status && state.cache === before.state?.cache && state.error === before.state?.error) return run;
  const next: RunNode = { status: ev.status, state };
  if (ev.status === 'running' && before?.progress) next.progress = before.progress;
  return { ...run, nodes: { ...(run.nodes ?? {}), [ev.node]: next } };
}

// ---- the graph ----------------------------------------------------------------

/** What a node shows of its run on the canvas. */
export interface NodeRunInfo {
  status: NodeStatus;
  /** true: outputs reused from the cache; false: computed; absent: not decided */
  cacheHit?: boolean;
  /** the error of a failed node, the reason of a skipped one */
  message?: string;
  attempts?: number;
  /** the URL of the node's first image output, shown small on the canvas */
  preview?: string;
  /** a succeeded side-effect node that did nothing, and why ("no webhook configured") */
  notSent?: string;
  /** a running node's live progress (what its module last said) */
  progress?: NodeProgress;
}

export function nodeRunInfo(node: RunNode | undefined): NodeRunInfo {
  const info: NodeRunInfo = { status: node?.status ?? 'pending' };
  const s = node?.state;
  if (typeof s?.cache?.hit === 'boolean') info.cacheHit = s.cache.hit;
  const message = s?.error?.message ?? s?.reason;
  if (message && (info.status === 'failed' || info.status === 'skipped' || info.status === 'cancelled')) info.message = message;
  if (s?.attempts?.length) info.attempts = s.attempts.length;
  if (info.status === 'running') info.progress = node?.progress ?? {};
  return info;
}

/**
 * The run's workflow as read-only React Flow nodes and edges, placed by the
 * stored ui positions (nodes without one are laid out by depth).
 */
export function runGraph(run: RunDetail, heightOf: (step: string) => number = () => 120): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const wf = run.doc?.workflow;
  if (!wf) return { nodes: [], edges: [] };
  const { graph, unplaced } = workflowToGraph(wf);
  let nodes = graph.nodes;
  if (unplaced.length) {
    const pos = layeredLayout(
      nodes.map((n) => ({ id: n.id, height: heightOf(n.data.step) })),
      graph.edges,
    );
    nodes = nodes.map((n) => ({ ...n, position: pos.get(n.id) ?? n.position }));
  }
  return {
    nodes: nodes.map((n) => ({ ...n, draggable: false, connectable: false, deletable: false, data: { ...n.data, run: nodeRunInfo(run.nodes?.[n.id]) } })),
    edges: graph.edges.map((e) => ({ ...e, deletable: false, selectable: false })),
  };
}

/** How many nodes are in each status. */
export function statusCounts(run: RunDetail): Record<NodeStatus, number> {
  const counts = Object.fromEntries(NODE_STATUSES.map((s) => [s, 0])) as Record<NodeStatus, number>;
  const ids = run.doc?.workflow?.nodes?.map((n) => n.id) ?? Object.keys(run.nodes ?? {});
  for (const id of ids) counts[run.nodes?.[id]?.status ?? 'pending']++;
  return counts;
}

/** "4 of 6 nodes done · 1 running" */
export function progressText(run: RunDetail): string {
  const c = statusCounts(run);
  const total = NODE_STATUSES.reduce((s, k) => s + c[k], 0);
  const done = c.succeeded;
  const parts = [`${done} of ${total} node${total === 1 ? '' : 's'} succeeded`];
  for (const k of ['running', 'failed', 'skipped', 'cancelled'] as const) if (c[k]) parts.push(`${c[k]} ${k}`);
  return parts.join(' · ');
}

// ---- parameters ---------------------------------------------------------------

export const SOURCE_LABELS: Record<string, string> = {
  default: 'default',
  node: 'node',
  invocation: 'invocation',
  order_line: 'order line',
};

export const SOURCE_HINTS: Record<string, string> = {
  default: "the module's default",
  node: "set on the workflow's node",
  invocation: 'an invocation override of the run',
  order_line: "the order line's override",
};

/** "invocation · deflection": where a resolved value came from, and through which invocation parameter. */
export function sourceLabel(ps: Pick<ParamSource, 'source' | 'via'> | undefined): string {
  if (!ps) return 'unknown';
  const label = SOURCE_LABELS[ps.source] ?? ps.source;
  return ps.via ? `${label} · ${ps.via}` : label;
}

export interface ParamRow {
  name: string;
  title?: string;
  value: unknown;
  source?: ParamSource;
}

/**
 * The node's resolved params in the definition's order (ui.field_order, then
 * the schema's), then any the definition does not know.
 */
export function paramRows(state: NodeState | undefined, def?: NodeDefinition): ParamRow[] {
  const params = state?.params ?? {};
  const sources = state?.param_sources ?? {};
  const props = (isObject(def?.param_schema?.properties) ? def!.param_schema.properties : {}) as Record<string, JSONSchema>;
  const names = [...new Set([...(def?.ui.field_order ?? []), ...Object.keys(props), ...Object.keys(params), ...Object.keys(sources)])].filter(
    (n) => n in params || n in sources,
  );
  return names.map((name) => {
    const row: ParamRow = { name, value: name in sources ? sources[name].value : params[name] };
    if (sources[name]) row.source = sources[name];
    const title = props[name]?.title;
    if (typeof title === 'string') row.title = title;
    return row;
  });
}

/** A value as compact JSON ("png" keeps its quotes, so an empty string shows). */
export function formatValue(v: unknown): string {
  if (v === undefined) return '—';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

// ---- cache ----------------------------------------------------------------------

/** "hit: outputs reused", "miss: params changed (linear_deflection)". */
export function cacheText(c: CacheVerdict | undefined): string | undefined {
  if (!c) return undefined;
  if (c.hit) return 'hit: outputs reused';
  const changed = c.changed?.length ? ` (${c.changed.join(', ')})` : '';
  return `miss: ${c.reason ?? 'computed'}${changed}`;
}

// ---- outputs -------------------------------------------------------------------

export type PreviewKind = 'image' | 'video' | 'download';

const IMAGE_TYPES = new Set(['image/png', 'image/webp', 'image/jpeg', 'image/gif']);
const VIDEO_TYPES = new Set(['video/mp4', 'video/webm']);

const baseType = (mediaType?: string) => (mediaType ?? '').split(';')[0].trim().toLowerCase();

/** How the browser shows an artifact of this media type: inline image, video player, or a download link. */
export function previewKind(mediaType?: string): PreviewKind {
  const t = baseType(mediaType);
  if (IMAGE_TYPES.has(t)) return 'image';
  if (VIDEO_TYPES.has(t)) return 'video';
  return 'download';
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/webp': 'webp',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'model/gltf-binary': 'glb',
  'model/step': 'step',
  'application/json': 'json',
  'application/x-blender': 'blend',
  'text/plain': 'txt',
};

/** A file name for a download: "<node>-<port>.<ext>" (the store names files by digest). */
export function downloadName(nodeId: string, port: string, mediaType?: string): string {
  const ext = EXTENSIONS[baseType(mediaType)];
  const base = `${nodeId}-${port}`.replace(/[^A-Za-z0-9._-]+/g, '_');
  return ext ? `${base}.${ext}` : base;
}

/** The outputs that are artifacts (have an id), and the plain values. */
export function splitOutputs(outputs: Record<string, NodeOutput> | undefined): { files: [string, NodeOutput][]; values: [string, unknown][] } {
  const files: [string, NodeOutput][] = [];
  const values: [string, unknown][] = [];
  for (const [port, o] of Object.entries(outputs ?? {})) {
    if (isObject(o) && typeof o.artifact_id === 'string') files.push([port, o]);
    else values.push([port, o]);
  }
  return { files, values };
}

export function formatBytes(n: number | undefined): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

// ---- times ----------------------------------------------------------------------

const ms = (iso?: string) => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? undefined : t;
};

/** Milliseconds between two ISO times, or undefined. */
export function between(from?: string, to?: string): number | undefined {
  const a = ms(from);
  const b = ms(to);
  return a === undefined || b === undefined ? undefined : Math.max(0, b - a);
}

export function formatDuration(d: number | undefined): string {
  if (d === undefined) return '';
  if (d < 1000) return `${Math.round(d)} ms`;
  if (d < 60_000) return `${(d / 1000).toFixed(d < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(d / 60_000);
  return `${m} min ${Math.round((d % 60_000) / 1000)} s`;
}

export const attemptDuration = (a: RunAttempt) => between(a.started_at, a.finished_at);

/** A run's wall time, once it is over. */
export const runDuration = (r: RunSummary) => (isRunOver(r.status) ? between(r.created_at, r.updated_at) : undefined);

export function formatWhen(iso?: string): string {
  const t = ms(iso);
  if (t === undefined) return iso ?? '';
  return new Date(t).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatClock(iso?: string): string {
  const t = ms(iso);
  if (t === undefined) return iso ?? '';
  const d = new Date(t);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// ---- starting runs --------------------------------------------------------------

function templateValue(s: JSONSchema | undefined): unknown {
  if (!s) return '';
  if ('default' in s) return s.default;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    case 'object':
      return {};
    case 'array':
      return [];
    case 'null':
      return null;
    default:
      return '';
  }
}

/** A context to start editing from: the schema's required properties, with defaults or blanks. */
export function contextTemplate(schema: JSONSchema | undefined): Record<string, unknown> {
  const props = isObject(schema?.properties) ? (schema!.properties as Record<string, JSONSchema>) : {};
  const required = Array.isArray(schema?.required) ? (schema!.required as string[]) : [];
  const out: Record<string, unknown> = {};
  for (const name of required) out[name] = templateValue(props[name]);
  return out;
}

/**
 * A JSON object typed into the start-run dialog, or the problem with it at
 * `pointer` (the place in the run request). Blank text is {}.
 */
export function parseJsonObject(text: string, pointer: string): { value: Record<string, unknown> } | { error: ApiError } {
  if (!text.trim()) return { value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: { code: 'invalid', pointer, message: `not valid JSON: ${(e as Error).message}` } };
  }
  if (!isObject(v)) return { error: { code: 'invalid', pointer, message: 'must be a JSON object' } };
  return { value: v };
}

// ---- subjects and shadow pairs ---------------------------------------------------

export function subjectText(subject: unknown): string {
  if (subject === null || subject === undefined) return '';
  if (typeof subject === 'string') return subject;
  if (!isObject(subject)) return formatValue(subject);
  return Object.entries(subject)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([k, v]) => `${k}: ${v}`)
    .join(' · ');
}

/**
 * Whether a run belongs to a shadow pair, so that its parity report exists:
 * it is the shadow (its subject names the run it shadows), or another run's
 * subject names it as shadowed.
 */
export function inShadowPair(run: RunSummary, others: readonly RunSummary[]): boolean {
  const of = (r: RunSummary) => (isObject(r.subject) && typeof r.subject.shadow_of === 'string' ? r.subject.shadow_of : undefined);
  return !!of(run) || others.some((o) => o.id !== run.id && of(o) === run.id);
}

/** The output a run delivered for an artifact role (the workflow's invocation.artifacts[role].from). */
export function artifactForRole(run: RunDetail | undefined, role: string): NodeOutput | undefined {
  const spec = run?.doc?.workflow?.invocation?.artifacts?.[role];
  const from = typeof spec?.from === 'string' ? spec.from : '';
  const dot = from.indexOf('.');
  if (dot <= 0) return undefined;
  const out = run?.nodes?.[from.slice(0, dot)]?.state?.outputs?.[from.slice(dot + 1)];
  return isObject(out) && typeof out.artifact_id === 'string' ? out : undefined;
}

export interface ParityImage {
  role: string;
  legacy?: NodeOutput;
  graph?: NodeOutput;
}

/** The image artifacts of a parity report, each with the legacy and the graph run's file. */
export function parityImages(report: ParityReport, legacy: RunDetail | undefined, graph: RunDetail | undefined): ParityImage[] {
  return (report.artifacts ?? [])
    .filter((a) => previewKind(a.media_type?.legacy) === 'image' || previewKind(a.media_type?.graph) === 'image')
    .map((a) => ({ role: a.role, legacy: artifactForRole(legacy, a.role), graph: artifactForRole(graph, a.role) }));
}
