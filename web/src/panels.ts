// Which of the editor's side panels are folded away, pure: read back from
// what was stored (anything unreadable is "both open"), and written as JSON.
// usePanels keeps it in localStorage, so a reload keeps the canvas as wide.

export interface Panels {
  /** the workflows and palette panel */
  left: boolean;
  /** the node and invocation panel */
  right: boolean;
}

export const PANELS_KEY = 'prodflow.editor.collapsed';
export const OPEN: Panels = { left: false, right: false };

export function readPanels(stored: string | null): Panels {
  if (!stored) return OPEN;
  try {
    const v = JSON.parse(stored) as unknown;
    if (!v || typeof v !== 'object') return OPEN;
    const o = v as Record<string, unknown>;
    return { left: o.left === true, right: o.right === true };
  } catch {
    return OPEN;
  }
}

export const writePanels = (p: Panels): string => JSON.stringify(p);

/** The frame's classes: the grid gives a folded panel a narrow strip. */
export function panelClasses(p: Panels): string {
  return [p.left && 'left-collapsed', p.right && 'right-collapsed'].filter(Boolean).join(' ');
}
