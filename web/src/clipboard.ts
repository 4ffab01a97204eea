// Copy, paste and duplicate of nodes, pure: what is copied (the selected
// nodes with their params, policy and label, and the edges between them),
// and the graph with the copy added under fresh ids, in free space, selected.
import type { Rect } from './viewport';
import { edgeKey, newNodeId, type FlowEdge, type FlowNode, type Graph, type ModuleNodeData } from './workflow';

export interface Clip {
  nodes: { id: string; position: { x: number; y: number }; size: { width: number; height: number }; data: ModuleNodeData }[];
  edges: { source: string; sourceHandle: string; target: string; targetHandle: string }[];
}

const FALLBACK = { width: 220, height: 120 };
const GAP = 40;

/** The selected nodes and the edges among them, or null when nothing is selected. */
export function copySelection(g: Graph): Clip | null {
  const picked = g.nodes.filter((n) => n.selected);
  if (!picked.length) return null;
  const ids = new Set(picked.map((n) => n.id));
  return {
    nodes: picked.map((n) => ({
      id: n.id,
      position: { ...n.position },
      size: { width: n.measured?.width ?? FALLBACK.width, height: n.measured?.height ?? FALLBACK.height },
      // a deep copy: the pasted params must not share objects with the original
      data: JSON.parse(JSON.stringify({ ...n.data, run: undefined })) as ModuleNodeData,
    })),
    edges: g.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e) => ({ source: e.source, sourceHandle: e.sourceHandle ?? '', target: e.target, targetHandle: e.targetHandle ?? '' })),
  };
}

const overlaps = (a: Rect, b: Rect) => a.x < b.x + b.width + GAP && b.x < a.x + a.width + GAP && a.y < b.y + b.height + GAP && b.y < a.y + a.height + GAP;

/**
 * Where a block of `size` goes near `want` without covering a node: `want`
 * itself if free, else the nearest free spot on rings of candidates around it
 * (right and down first, as a copy reads after its original).
 */
export function freeSpot(taken: readonly Rect[], size: { width: number; height: number }, want: { x: number; y: number }): { x: number; y: number } {
  const fits = (p: { x: number; y: number }) => !taken.some((r) => overlaps({ ...p, ...size }, r));
  if (fits(want)) return want;
  const stepX = size.width + GAP;
  const stepY = size.height + GAP;
  for (let ring = 1; ring < 50; ring++) {
    const spots: { x: number; y: number }[] = [];
    for (let dy = -ring; dy <= ring; dy++)
      for (let dx = -ring; dx <= ring; dx++) if (Math.max(Math.abs(dx), Math.abs(dy)) === ring) spots.push({ x: want.x + dx * stepX, y: want.y + dy * stepY });
    // right and down before left and up; nearer before farther
    spots.sort((a, b) => Math.hypot(a.x - want.x, a.y - want.y) - Math.hypot(b.x - want.x, b.y - want.y) || b.x - a.x || b.y - a.y);
    const free = spots.find(fits);
    if (free) return free;
  }
  return { x: want.x, y: want.y + stepY * 50 };
}

export interface Pasted {
  graph: Graph;
  added: string[];
  /** where the added block landed, in flow coordinates (to bring it into view); absent when nothing was added */
  placed?: Rect;
  /** nodes not pasted, and why (an entry node: a workflow has one) */
  skipped: { id: string; reason: string }[];
}

/**
 * The graph with the clip added: fresh ids, the edges among the copies, the
 * block placed in free space near `at` (its top-left; by default just right
 * of where it was copied from), the copies selected and nothing else.
 */
export function pasteClip(g: Graph, clip: Clip, blocked: (step: string) => string | undefined, at?: { x: number; y: number }): Pasted {
  const skipped: Pasted['skipped'] = [];
  const kept = clip.nodes.filter((n) => {
    const reason = blocked(n.data.step);
    if (reason) skipped.push({ id: n.id, reason });
    return !reason;
  });
  if (!kept.length) return { graph: g, added: [], skipped };
  const minX = Math.min(...kept.map((n) => n.position.x));
  const minY = Math.min(...kept.map((n) => n.position.y));
  const size = {
    width: Math.max(...kept.map((n) => n.position.x + n.size.width)) - minX,
    height: Math.max(...kept.map((n) => n.position.y + n.size.height)) - minY,
  };
  const taken = g.nodes.map((n) => ({ ...n.position, width: n.measured?.width ?? FALLBACK.width, height: n.measured?.height ?? FALLBACK.height }));
  const spot = freeSpot(taken, size, at ?? { x: minX + 60, y: minY + 60 });
  const ids = g.nodes.map((n) => n.id);
  const rename = new Map<string, string>();
  const nodes: FlowNode[] = kept.map((n) => {
    const id = newNodeId(n.data.step, ids);
    ids.push(id);
    rename.set(n.id, id);
    return { id, type: 'module', position: { x: spot.x + n.position.x - minX, y: spot.y + n.position.y - minY }, data: JSON.parse(JSON.stringify(n.data)), selected: true };
  });
  const edges: FlowEdge[] = clip.edges
    .filter((e) => rename.has(e.source) && rename.has(e.target))
    .map((e) => {
      const source = rename.get(e.source)!;
      const target = rename.get(e.target)!;
      return { id: edgeKey({ from: { node: source, port: e.sourceHandle }, to: { node: target, port: e.targetHandle } }), source, sourceHandle: e.sourceHandle, target, targetHandle: e.targetHandle };
    });
  return {
    graph: {
      ...g,
      nodes: [...g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...nodes],
      edges: [...g.edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...edges],
    },
    added: nodes.map((n) => n.id),
    placed: { ...spot, ...size },
    skipped,
  };
}
