// Where a graph opens: fitted when it fits at a readable zoom, else at that
// zoom with its start (the left edge, where entry nodes sit) in view.
// Pure; the canvases give it React Flow's fit (getViewportForBounds).

/**
 * The zoom at which every text on a node is at least 11 px: the smallest
 * node texts (ids, port types, badges) are 11 px in styles.css.
 */
export const READABLE_ZOOM = 1;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

/**
 * The viewport a graph with these bounds opens at in a pane of this size:
 * `fit` (React Flow's fitted viewport) when its zoom is readable; else
 * `readable` zoom with the bounds' left edge `margin` px from the pane's,
 * centred vertically when the graph is low enough, else its top in view.
 * `focus` (say the nodes running now) is brought into view when the left
 * edge would leave it out: its right edge `margin` px from the pane's (its
 * left edge first, when it is wider than the pane).
 */
export function readableViewport(bounds: Rect, pane: { width: number; height: number }, fit: Viewport, readable = READABLE_ZOOM, margin = 24, focus?: Rect): Viewport {
  if (fit.zoom >= readable - 1e-6 || bounds.width <= 0 || pane.width <= 0) return fit;
  const zoom = readable;
  let x = margin - bounds.x * zoom;
  let y = bounds.height * zoom + 2 * margin <= pane.height ? pane.height / 2 - (bounds.y + bounds.height / 2) * zoom : margin - bounds.y * zoom;
  if (focus) {
    if ((focus.x + focus.width) * zoom + x > pane.width - margin) x = Math.max(pane.width - margin - (focus.x + focus.width) * zoom, margin - focus.x * zoom);
    const top = focus.y * zoom + y;
    const bottom = (focus.y + focus.height) * zoom + y;
    if (bottom > pane.height - margin) y -= bottom - (pane.height - margin);
    if (top < margin) y += margin - top;
  }
  return { x, y, zoom };
}

/**
 * The viewport `vp` panned (never zoomed) just enough that `rect` (in flow
 * coordinates) lies `margin` px inside a pane of this size: a paste or a
 * duplicate lands in free space, which may be off screen, and a person
 * should see what they just added. `vp` itself when the rect is in view; its
 * top-left edge first when it is larger than the pane.
 */
export function viewportShowing(vp: Viewport, pane: { width: number; height: number }, rect: Rect, margin = 24): Viewport {
  const shift = (start: number, size: number, room: number) => {
    const from = start * vp.zoom;
    const to = (start + size) * vp.zoom;
    return to > room - margin ? Math.max(room - margin - to, margin - from) : from < margin ? margin - from : 0;
  };
  const dx = shift(rect.x + vp.x / vp.zoom, rect.width, pane.width);
  const dy = shift(rect.y + vp.y / vp.zoom, rect.height, pane.height);
  return dx || dy ? { x: vp.x + dx, y: vp.y + dy, zoom: vp.zoom } : vp;
}
