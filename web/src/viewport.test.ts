import { describe, expect, it } from 'vitest';
import { READABLE_ZOOM, readableViewport, viewportShowing } from './viewport';

describe('readableViewport', () => {
  const pane = { width: 600, height: 500 };
  it('keeps the fit when it is readable', () => {
    const fit = { x: 10, y: 20, zoom: READABLE_ZOOM };
    expect(readableViewport({ x: 0, y: 0, width: 400, height: 200 }, pane, fit)).toBe(fit);
  });
  it('opens a wide graph at the readable zoom with its left edge in view, centred vertically', () => {
    const v = readableViewport({ x: 100, y: 50, width: 1200, height: 300 }, pane, { x: 0, y: 0, zoom: 0.45 }, 1, 24);
    expect(v).toEqual({ x: 24 - 100, y: 250 - 200, zoom: 1 });
    // the bounds' left edge lands 24 px into the pane
    expect(100 * v.zoom + v.x).toBe(24);
  });
  it('shows the top of a graph taller than the pane', () => {
    const v = readableViewport({ x: 0, y: -40, width: 1200, height: 900 }, pane, { x: 0, y: 0, zoom: 0.4 }, 1, 24);
    expect(v).toEqual({ x: 24, y: 64, zoom: 1 });
  });
  it('brings the focus (the running nodes) into view', () => {
    const bounds = { x: 0, y: 0, width: 1200, height: 300 };
    const fit = { x: 0, y: 0, zoom: 0.45 };
    // a focus already in view changes nothing
    expect(readableViewport(bounds, pane, fit, 1, 24, { x: 100, y: 0, width: 200, height: 100 })).toEqual(readableViewport(bounds, pane, fit, 1, 24));
    // a focus at the far right: its right edge 24 px from the pane's
    const v = readableViewport(bounds, pane, fit, 1, 24, { x: 1000, y: 100, width: 200, height: 100 });
    expect(1200 * v.zoom + v.x).toBe(600 - 24);
    // a focus wider than the pane: its left edge first
    const w = readableViewport(bounds, pane, fit, 1, 24, { x: 200, y: 0, width: 1000, height: 100 });
    expect(200 * w.zoom + w.x).toBe(24);
  });
});

describe('viewportShowing', () => {
  const pane = { width: 600, height: 500 };
  const vp = { x: -100, y: 50, zoom: 0.5 };
  const onScreen = (v: { x: number; y: number; zoom: number }, r: { x: number; y: number; width: number; height: number }) => ({
    left: r.x * v.zoom + v.x,
    top: r.y * v.zoom + v.y,
    right: (r.x + r.width) * v.zoom + v.x,
    bottom: (r.y + r.height) * v.zoom + v.y,
  });
  it('leaves the view alone when the rect is in it', () => {
    expect(viewportShowing(vp, pane, { x: 300, y: 0, width: 200, height: 100 })).toBe(vp);
  });
  it('pans, never zooms, a rect off the right and bottom edges into view', () => {
    const r = { x: 1300, y: 900, width: 220, height: 120 };
    const v = viewportShowing(vp, pane, r);
    expect(v.zoom).toBe(vp.zoom);
    const s = onScreen(v, r);
    expect(s.right).toBe(600 - 24);
    expect(s.bottom).toBe(500 - 24);
  });
  it('pans a rect off the left and top edges into view', () => {
    const r = { x: -400, y: -300, width: 220, height: 120 };
    const s = onScreen(viewportShowing(vp, pane, r), r);
    expect(s.left).toBe(24);
    expect(s.top).toBe(24);
  });
  it('shows the top-left of a rect larger than the pane', () => {
    const r = { x: 2000, y: 2000, width: 4000, height: 4000 };
    const s = onScreen(viewportShowing(vp, pane, r), r);
    expect(s.left).toBe(24);
    expect(s.top).toBe(24);
  });
});
