// Live progress of running nodes, pure: what GET /api/runs/{id} says of a
// running node (node.progress) and what the run's event stream adds
// (`event: progress`), merged into one state the pages show: a bar (or an
// indeterminate one when the module gave no fraction), the module's last
// message, the time since the node started and a rough estimate of what is
// left, and the node's log as it grows.
//
// Times tick on the client between reports: each progress carries `seen_ms`,
// the client clock when it was received, so elapsed and estimate move on
// every second without asking the server.
import type { LogEntry, NodeStatus, RunDetail, RunNode } from './types';

/** What a running node's module last said (node.progress of GET /api/runs/{id}). */
export interface NodeProgress {
  started_at?: string;
  elapsed_s?: number;
  /** 0..1, when the module said how far along it is */
  fraction?: number;
  /** seconds left, a straight-line estimate */
  eta_s?: number;
  message?: string;
  /** the latest entries, oldest first */
  log?: LogEntry[];
  /** client clock (ms) when this was received; elapsed and estimate count on from it */
  seen_ms?: number;
}

/** The longest log kept per node on the client (the server sends its latest 20). */
export const LOG_KEEP = 200;

export interface ProgressEvent {
  type: 'progress';
  node: string;
  entry: LogEntry;
  elapsed_s?: number;
  fraction?: number;
  eta_s?: number;
  message?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function logEntry(v: unknown): LogEntry | null {
  if (!isObject(v) || typeof v.message !== 'string') return null;
  const e: LogEntry = { message: v.message };
  if (typeof v.at === 'string') e.at = v.at;
  const f = num(v.fraction);
  if (f !== undefined) e.fraction = clamp01(f);
  return e;
}

const clamp01 = (f: number) => Math.min(1, Math.max(0, f));

/** The data of one `event: progress` as a ProgressEvent, or null when it is not one. */
export function parseProgressEvent(data: string): ProgressEvent | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isObject(v) || typeof v.node !== 'string') return null;
  const entry = logEntry(v.entry);
  if (!entry) return null;
  const ev: ProgressEvent = { type: 'progress', node: v.node, entry };
  const elapsed = num(v.elapsed_s);
  if (elapsed !== undefined) ev.elapsed_s = elapsed;
  const fraction = num(v.fraction);
  if (fraction !== undefined) ev.fraction = clamp01(fraction);
  const eta = num(v.eta_s);
  if (eta !== undefined) ev.eta_s = Math.max(0, eta);
  if (typeof v.message === 'string') ev.message = v.message;
  return ev;
}

const entryKey = (e: LogEntry) => `${e.at ?? ''}\u0000${e.message}\u0000${e.fraction ?? ''}`;

/**
 * The log `base` continued by `more`: entries already at the end of `base`
 * (same time, message and fraction; the server's window slides forward, so
 * only the tail can overlap) are not repeated, and only the latest LOG_KEEP stay.
 */
export function mergeLog(base: readonly LogEntry[] | undefined, more: readonly LogEntry[] | undefined): LogEntry[] {
  const out = [...(base ?? [])];
  if (!more?.length) return out;
  const seen = new Set(out.slice(-more.length).map(entryKey));
  for (const e of more) if (!seen.has(entryKey(e))) out.push(e);
  return out.length > LOG_KEEP ? out.slice(-LOG_KEEP) : out;
}

/** The run with one progress event applied to its node (a node that is not running takes none). */
export function applyProgressEvent(run: RunDetail, ev: ProgressEvent, nowMs: number): RunDetail {
  const node = run.nodes?.[ev.node];
  if (node && node.status !== 'running') return run;
  const before = node?.progress;
  const progress: NodeProgress = {
    ...(before ?? {}),
    log: mergeLog(before?.log, [ev.entry]),
    seen_ms: nowMs,
  };
  if (ev.elapsed_s !== undefined) progress.elapsed_s = ev.elapsed_s;
  // A report without a fraction or an estimate clears the old ones: they would be stale.
  if (ev.fraction !== undefined) progress.fraction = ev.fraction;
  else delete progress.fraction;
  if (ev.eta_s !== undefined) progress.eta_s = ev.eta_s;
  else delete progress.eta_s;
  progress.message = ev.message ?? ev.entry.message;
  const next: RunNode = { ...(node ?? {}), status: 'running', progress };
  return { ...run, nodes: { ...(run.nodes ?? {}), [ev.node]: next } };
}

/**
 * Whether a fetched run is older news than the page's: its request went out
 * before the page learned that the run ended (sent is the request's turn,
 * endSeen the turn at which the end arrived, 0 for not yet), and it still
 * says running. Applied, it would put the page back to running with its
 * stream already closed. A request sent after the end is news (a re-run
 * started elsewhere).
 */
export function staleFetch(sent: number, endSeen: number, next: RunDetail): boolean {
  return endSeen > sent && next.status === 'running';
}

/**
 * A freshly fetched run, its running nodes' progress stamped with `nowMs`
 * and their logs continuing what the page had already seen (the server keeps
 * only the latest entries). Nodes that stopped running lose their progress.
 */
export function mergeFetchedRun(prev: RunDetail | null, next: RunDetail, nowMs: number): RunDetail {
  if (!next.nodes) return next;
  let changed = false;
  const nodes: Record<string, RunNode> = { ...next.nodes };
  for (const [id, n] of Object.entries(next.nodes)) {
    if (n.status !== 'running') {
      if (n.progress) {
        const { progress: _gone, ...rest } = n;
        nodes[id] = rest;
        changed = true;
      }
      continue;
    }
    if (!n.progress) continue;
    const old = prev?.id === next.id && prev.nodes?.[id]?.status === 'running' ? prev.nodes[id].progress : undefined;
    nodes[id] = { ...n, progress: { ...n.progress, log: mergeLog(old?.log, n.progress.log), seen_ms: nowMs } };
    changed = true;
  }
  return changed ? { ...next, nodes } : next;
}

// ---- words -----------------------------------------------------------------------

/** "7 s", "2 min 05 s", "1 h 02 min": a duration in seconds, for people. */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s) || s < 0) return '';
  const t = Math.floor(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${String(t % 60).padStart(2, '0')} s`;
  return `${Math.floor(t / 3600)} h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * "about 2 min left": an estimate rounded as far as it deserves (it is a
 * straight line through the reports so far). Empty when there is none.
 */
export function formatEta(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s) || s < 0) return '';
  if (s < 5) return 'almost done';
  if (s < 60) return `about ${Math.max(5, Math.round(s / 5) * 5)} s left`;
  if (s < 3600) {
    const m = Math.round(s / 60);
    return m >= 60 ? 'about 1 h left' : `about ${m} min left`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 600) * 10;
  return m === 0 ? `about ${h} h left` : m === 60 ? `about ${h + 1} h left` : `about ${h} h ${m} min left`;
}

/** What a bar shows of a running node's progress at client time `nowMs`. */
export interface ProgressView {
  /** 0..1, or undefined for an indeterminate bar */
  fraction?: number;
  /** "42%" or "" */
  percent: string;
  message: string;
  /** "1 min 05 s" */
  elapsed: string;
  /** "about 2 min left", or "" */
  eta: string;
}

export function progressView(p: NodeProgress | undefined, nowMs: number): ProgressView {
  const since = p?.seen_ms !== undefined ? Math.max(0, (nowMs - p.seen_ms) / 1000) : 0;
  const elapsed = p?.elapsed_s !== undefined ? p.elapsed_s + since : undefined;
  const eta = p?.eta_s !== undefined ? Math.max(0, p.eta_s - since) : undefined;
  const fraction = p?.fraction;
  return {
    fraction,
    percent: fraction !== undefined ? `${Math.round(fraction * 100)}%` : '',
    message: p?.message ?? p?.log?.at(-1)?.message ?? 'starting…',
    elapsed: formatSeconds(elapsed),
    eta: fraction !== undefined && fraction >= 1 ? 'almost done' : formatEta(eta),
  };
}

/** The running nodes of a run that say something, in workflow order. */
export function runningProgress(run: RunDetail | null | undefined): { node: string; progress: NodeProgress }[] {
  if (!run?.nodes) return [];
  const order = run.doc?.workflow?.nodes?.map((n) => n.id) ?? Object.keys(run.nodes);
  const out: { node: string; progress: NodeProgress }[] = [];
  for (const id of order) {
    const n = run.nodes[id];
    if (n?.status === 'running') out.push({ node: id, progress: n.progress ?? {} });
  }
  return out;
}

export const isRunning = (s: NodeStatus | string | undefined) => s === 'running';
