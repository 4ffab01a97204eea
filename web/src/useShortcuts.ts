// The editor's keyboard shortcuts, on the window while the editor shows.
// Text fields keep their own keys (their text undo, copy and paste); Ctrl+S
// saves from anywhere.
import { useEffect, useRef } from 'react';

export interface Shortcuts {
  save: () => void;
  undo: () => void;
  redo: () => void;
}

/** Whether a key event was aimed at something that takes text. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

export function useShortcuts(active: boolean, readOnly: boolean, actions: Shortcuts): void {
  // The latest actions, so the listener is not re-added on every render.
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      const typing = isTyping(e.target);
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const k = e.key.toLowerCase();
      const a = ref.current;
      if (k === 's') {
        e.preventDefault();
        a.save();
      } else if (!typing && !readOnly && k === 'z') {
        e.preventDefault();
        if (e.shiftKey) a.redo();
        else a.undo();
      } else if (!typing && !readOnly && k === 'y') {
        e.preventDefault();
        a.redo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, readOnly]);
}
