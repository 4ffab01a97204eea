// Opens a React Flow canvas on its graph at a readable zoom (see viewport.ts):
// fitted when the graph fits at that zoom, else at that zoom from its left edge.
import { getViewportForBounds, useReactFlow, useStoreApi } from '@xyflow/react';
import { useCallback } from 'react';
import { readableViewport, type Rect } from './viewport';

const MIN_ZOOM = 0.2;
const MAX_ZOOM = 1;

/**
 * The nodes' bounds: positions from React Flow's store (already the new ones
 * after a layout), sizes from the page (a node that has just grown, say when
 * its definition arrived, counts at its new size).
 */
function nodeBounds(rf: ReturnType<typeof useReactFlow>, pane: HTMLElement, only?: ReadonlySet<string>): Rect | null {
  let l = Infinity, t = Infinity, r = -Infinity, b = -Infinity; // prettier-ignore
  for (const n of rf.getNodes()) {
    if (only && !only.has(n.id)) continue;
    const internal = rf.getInternalNode(n.id);
    if (!internal) continue;
    const pos = internal.internals.positionAbsolute;
    const el = pane.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(n.id)}"]`);
    const w = el?.offsetWidth || internal.measured.width || 0;
    const h = el?.offsetHeight || internal.measured.height || 0;
    l = Math.min(l, pos.x);
    t = Math.min(t, pos.y);
    r = Math.max(r, pos.x + w);
    b = Math.max(b, pos.y + h);
  }
  return Number.isFinite(l) ? { x: l, y: t, width: r - l, height: b - t } : null;
}

/** Returns open(padding, focus?): `focus` names nodes to bring into view (the run view's running ones). */
export function useReadableOpen(): (padding: number, focus?: readonly string[]) => void {
  const rf = useReactFlow();
  const store = useStoreApi();
  return useCallback(
    (padding: number, focus?: readonly string[]) => {
      const pane = store.getState().domNode;
      const nodes = rf.getNodes();
      if (!pane || !nodes.length) {
        rf.fitView({ padding, maxZoom: MAX_ZOOM });
        return;
      }
      const width = pane.offsetWidth;
      const height = pane.offsetHeight;
      const bounds = nodeBounds(rf, pane) ?? rf.getNodesBounds(nodes);
      const fit = getViewportForBounds(bounds, width, height, MIN_ZOOM, MAX_ZOOM, padding);
      const focusRect = focus?.length ? nodeBounds(rf, pane, new Set(focus)) ?? undefined : undefined;
      rf.setViewport(readableViewport(bounds, { width, height }, fit, undefined, undefined, focusRect));
    },
    [rf, store],
  );
}
