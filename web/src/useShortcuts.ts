// The editor's keyboard shortcuts, on the window while the editor shows.
// Text fields keep their own keys (their text undo, copy and paste), and so
// do dialogs; Ctrl+S saves from anywhere. SHORTCUTS is what the `?` sheet lists.
import { useEffect, useRef } from 'react';

export interface Shortcuts {
  save: () => void;
  undo: () => void;
  redo: () => void;
  /** copy the selected nodes; false when nothing was selected (the browser copies text then) */
  copy: () => boolean;
  paste: () => boolean;
  duplicate: () => void;
  quickAdd: () => void;
  help: () => void;
}

/** The keys, as the shortcut sheet shows them. */
export const SHORTCUTS: readonly { keys: string; what: string }[] = [
  { keys: 'Ctrl+S', what: 'Save a new version' },
  { keys: 'Ctrl+Z', what: 'Undo' },
  { keys: 'Ctrl+Shift+Z or Ctrl+Y', what: 'Redo' },
  { keys: 'Ctrl+C', what: 'Copy the selected nodes with their settings' },
  { keys: 'Ctrl+V', what: 'Paste them into free space' },
  { keys: 'Ctrl+D', what: 'Duplicate the selected nodes' },
  { keys: 'Delete or Backspace', what: 'Delete the selection' },
  { keys: '/ or double-click the canvas', what: 'Add a module by name' },
  { keys: 'Shift+drag', what: 'Select nodes in a box' },
  { keys: '?', what: 'This list' },
];

/** Whether a key event was aimed at something that takes text. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

/** Whether a key event happened inside a dialog, which has keys of its own. */
function inDialog(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el?.closest?.('[role="dialog"]');
}

export function useShortcuts(active: boolean, readOnly: boolean, actions: Shortcuts): void {
  // The latest actions, so the listener is not re-added on every render.
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      const typing = isTyping(e.target) || inDialog(e.target);
      const mod = e.ctrlKey || e.metaKey;
      const a = ref.current;
      if (!mod) {
        if (typing || e.altKey) return;
        if (e.key === '?') {
          e.preventDefault();
          a.help();
        } else if (e.key === '/' && !readOnly) {
          e.preventDefault();
          a.quickAdd();
        }
        return;
      }
      const k = e.key.toLowerCase();
      if (k === 's') {
        e.preventDefault();
        a.save();
      } else if (typing) {
        return;
      } else if (k === 'c' && !e.shiftKey) {
        if (a.copy()) e.preventDefault();
      } else if (readOnly) {
        return;
      } else if (k === 'z') {
        e.preventDefault();
        if (e.shiftKey) a.redo();
        else a.undo();
      } else if (k === 'y') {
        e.preventDefault();
        a.redo();
      } else if (k === 'v' && !e.shiftKey) {
        if (a.paste()) e.preventDefault();
      } else if (k === 'd') {
        e.preventDefault(); // the browser's bookmark
        a.duplicate();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, readOnly]);
}
