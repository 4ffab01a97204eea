// A simple layered layout: a node's column is its longest distance from a
// source (topological depth); nodes in a column are ordered by the mean row of
// their predecessors, then stacked with their estimated heights.
export interface LayoutNode {
  id: string;
  height: number;
}
export interface LayoutEdge {
  source: string;
  target: string;
}
export interface LayoutOptions {
  columnWidth: number;
  gapY: number;
}

const DEFAULTS: LayoutOptions = { columnWidth: 300, gapY: 40 };

/** Depth per node; nodes caught in a cycle go one column past the deepest. */
export function depths(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Map<string, number> {
  const ids = new Set(nodes.map((n) => n.id));
  const indeg = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  const out = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    if (!ids.has(e.source) || !ids.has(e.target) || e.source === e.target) continue;
    out.get(e.source)!.push(e.target);
    indeg.set(e.target, indeg.get(e.target)! + 1);
  }
  const depth = new Map<string, number>();
  const queue = nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  for (const id of queue) depth.set(id, 0);
  while (queue.length) {
    const id = queue.shift()!;
    for (const t of out.get(id)!) {
      depth.set(t, Math.max(depth.get(t) ?? 0, depth.get(id)! + 1));
      indeg.set(t, indeg.get(t)! - 1);
      if (indeg.get(t) === 0) queue.push(t);
    }
  }
  const deepest = Math.max(-1, ...depth.values());
  for (const n of nodes) if (indeg.get(n.id)! > 0) depth.set(n.id, deepest + 1);
  return depth;
}

export function layeredLayout(
  nodes: readonly LayoutNode[],
  edges: readonly LayoutEdge[],
  options: Partial<LayoutOptions> = {},
): Map<string, { x: number; y: number }> {
  const opt = { ...DEFAULTS, ...options };
  const depth = depths(nodes, edges);
  const columns: LayoutNode[][] = [];
  for (const n of nodes) (columns[depth.get(n.id)!] ??= []).push(n);
  const row = new Map<string, number>();
  const pos = new Map<string, { x: number; y: number }>();
  const heights = columns.map((col) => (col ?? []).reduce((s, n) => s + n.height, 0) + opt.gapY * Math.max(0, (col ?? []).length - 1));
  const tallest = Math.max(0, ...heights);
  columns.forEach((col, c) => {
    if (!col) return;
    const keyed = col.map((n, i) => {
      const preds = edges.filter((e) => e.target === n.id && row.has(e.source)).map((e) => row.get(e.source)!);
      return { n, key: preds.length ? preds.reduce((a, b) => a + b, 0) / preds.length : i, i };
    });
    keyed.sort((a, b) => a.key - b.key || a.i - b.i);
    let y = (tallest - heights[c]) / 2;
    keyed.forEach(({ n }, r) => {
      row.set(n.id, r);
      pos.set(n.id, { x: c * opt.columnWidth, y: Math.round(y) });
      y += n.height + opt.gapY;
    });
  });
  return pos;
}

/** A node's height before it is measured: its header, its rows of ports, and a line when unavailable. */
export function estimatedHeight(def: { input_contract: readonly unknown[]; output_contract: readonly unknown[]; available: boolean } | undefined): number {
  const rows = def ? Math.max(def.input_contract.length, def.output_contract.length) : 1;
  return 78 + 24 * rows + (def && !def.available ? 18 : 0);
}
