// What a run made, for people: a line's published files on the order page,
// the picture of a run in the run list, a node's image on the run canvas, and
// a notify node that had nowhere to send. Pure functions over API answers.
import { artifactUrl } from './api';
import { downloadName, isRunOver, previewKind, type PreviewKind } from './runs';
import type { ArtifactKind, Asset, NodeOutput, NodeState, OrderLine, RunDetail } from './types';

/** A published asset as the order page shows it. */
export interface Deliverable {
  asset: Asset;
  kind: PreviewKind;
  /** "Still image", "Turntable video", … from the vocabulary, else the media type */
  label: string;
  /** the name the Download button saves it under */
  fileName: string;
}

const baseType = (t?: string) => (t ?? '').split(';')[0].trim().toLowerCase();

/** The last path segment of a URL or path ("render-still.png"). */
export function lastSegment(url: string): string {
  const path = url.split(/[?#]/)[0];
  const seg = path.split('/').filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** A file name safe on every OS: letters, digits, dot, dash and underscore. */
export const safeFileName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'download';

/**
 * The name a deliverable downloads as: the product's SKU (or the line id)
 * before the published file's own name, so several orders' files stay apart.
 */
export function deliverableFileName(asset: Pick<Asset, 'url' | 'published_path'>, prefix?: string): string {
  const own = lastSegment(asset.url || asset.published_path || '') || 'download';
  return safeFileName(prefix ? `${prefix}-${own}` : own);
}

/** The vocabulary's label for a media type ("video/mp4" → "Turntable video"), else the media type. */
export function kindLabel(mediaType: string | undefined, kinds: readonly Pick<ArtifactKind, 'label' | 'media_type'>[] = []): string {
  const t = baseType(mediaType);
  const k = kinds.find((x) => baseType(x.media_type) === t);
  return k?.label ?? (t || 'File');
}

const KIND_ORDER: Record<PreviewKind, number> = { image: 0, video: 1, download: 2 };

/**
 * The files a line delivered: the published assets of its latest run (not a
 * shadow run's, which publishes nothing), pictures first, then videos, then
 * downloads.
 */
export function lineDeliverables(
  line: Pick<OrderLine, 'runs'>,
  assetsByRun: Readonly<Record<string, readonly Asset[] | undefined>>,
  kinds: readonly Pick<ArtifactKind, 'label' | 'media_type'>[] = [],
  prefix?: string,
): Deliverable[] {
  const latest = line.runs.at(-1)?.run_id;
  if (!latest) return [];
  return (assetsByRun[latest] ?? [])
    .filter((a) => !a.shadow)
    .map((asset) => ({ asset, kind: previewKind(asset.media_type), label: kindLabel(asset.media_type, kinds), fileName: deliverableFileName(asset, prefix) }))
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
}

/** The runs whose assets the order page should fetch: each line's latest, once it is over. */
export function runsToFetch(lines: readonly Pick<OrderLine, 'runs' | 'status'>[], have: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const id = l.runs.at(-1)?.run_id;
    if (id && l.status === 'delivered' && !(id in have) && !out.includes(id)) out.push(id);
  }
  return out;
}

// ---- images of a run --------------------------------------------------------------

/** One image a run made: where it is and which node's port made it. */
export interface RunImage {
  nodeId: string;
  port: string;
  url: string;
  role?: string;
  width?: number;
  height?: number;
  sha256?: string;
}

const isImage = (o: unknown): o is NodeOutput =>
  !!o && typeof o === 'object' && typeof (o as NodeOutput).artifact_id === 'string' && previewKind((o as NodeOutput).media_type) === 'image';

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** A node's image outputs, in port order. */
export function nodeImages(nodeId: string, state: NodeState | undefined): RunImage[] {
  return Object.entries(state?.outputs ?? {})
    .filter(([, o]) => isImage(o))
    .map(([port, o]) => ({
      nodeId,
      port,
      url: artifactUrl(o.artifact_id!),
      role: o.role,
      width: num(o.width),
      height: num(o.height),
      ...(typeof o.sha256 === 'string' ? { sha256: o.sha256 } : {}),
    }));
}

/** Roles that are the point of a run come first: a render before a thumbnail before a diff. */
const ROLE_RANK = (role?: string) => (!role ? 3 : role.startsWith('render.') ? 0 : role.includes('thumbnail') ? 1 : role.includes('diff') ? 4 : 2);

/**
 * Every image output of a run's succeeded nodes, the workflow's node order
 * kept within a rank: renders first, then thumbnails, then the rest. The
 * same bytes twice (a render and its published asset) count once.
 */
export function runImages(run: Pick<RunDetail, 'nodes' | 'doc'> | undefined): RunImage[] {
  if (!run?.nodes) return [];
  const order = run.doc?.workflow?.nodes?.map((n) => n.id) ?? [];
  const ids = [...order.filter((id) => id in run.nodes!), ...Object.keys(run.nodes).filter((id) => !order.includes(id))];
  const all = ids.flatMap((id) => (run.nodes![id].status === 'succeeded' ? nodeImages(id, run.nodes![id].state) : []));
  const seen = new Set<string>();
  return all
    .map((img, i) => ({ img, i }))
    .sort((a, b) => ROLE_RANK(a.img.role) - ROLE_RANK(b.img.role) || a.i - b.i)
    .map((x) => x.img)
    .filter((img) => !img.sha256 || (!seen.has(img.sha256) && !!seen.add(img.sha256)));
}

/** The one picture that stands for a run in a list, if it made any. */
export const runPreview = (run: Pick<RunDetail, 'nodes' | 'doc'> | undefined): RunImage | undefined => runImages(run)[0];

/** What stands for a run in the list: its picture, else its main file (a video's first frame, a file's type). */
export type RunPicture = { kind: 'image'; url: string } | { kind: 'video'; url: string } | { kind: 'file'; label: string };

/**
 * A run's picture for the run list: its first image; without one, the first
 * file a render node made (a turntable's video, a .blend as "BLEND").
 */
export function runPicture(run: Pick<RunDetail, 'nodes' | 'doc'> | undefined): RunPicture | undefined {
  const img = runPreview(run);
  if (img) return { kind: 'image', url: img.url };
  if (!run?.nodes) return undefined;
  const order = run.doc?.workflow?.nodes?.map((n) => n.id) ?? Object.keys(run.nodes);
  const files: NodeOutput[] = [];
  for (const id of order) {
    const node = run.nodes[id];
    if (node?.status !== 'succeeded') continue;
    for (const o of Object.values(node.state?.outputs ?? {}))
      // render.* files a person would want (not a template's or a setting's JSON)
      if (o && typeof o === 'object' && typeof o.artifact_id === 'string' && o.role?.startsWith('render.') && !/json/i.test(o.media_type ?? '')) files.push(o);
  }
  const video = files.find((o) => previewKind(o.media_type) === 'video');
  if (video) return { kind: 'video', url: artifactUrl(video.artifact_id!) };
  if (!files.length) return undefined;
  const ext = downloadName('x', 'y', files[0].media_type).split('.')[1];
  return { kind: 'file', label: (ext ?? 'file').toUpperCase() };
}

/** Finished runs never change, so their previews are fetched once; running ones wait until they end. */
export const previewWanted = (status: string) => isRunOver(status) && status !== 'cancelled';

// ---- a notify node that sent nothing ----------------------------------------------

/**
 * Why a succeeded side-effect node did nothing ("no webhook configured"), or
 * undefined when it did its work. output.notify reports
 * {"delivery": {"sent": false, "reason": …}} when it had nowhere to send.
 */
export function notSentReason(state: NodeState | undefined): string | undefined {
  for (const o of Object.values(state?.outputs ?? {})) {
    if (o && typeof o === 'object' && (o as Record<string, unknown>).sent === false) {
      const r = (o as Record<string, unknown>).reason;
      return typeof r === 'string' && r ? r : 'nothing was sent';
    }
  }
  return undefined;
}
