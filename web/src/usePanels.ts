// The editor's folded side panels, remembered in localStorage (see panels.ts).
import { useCallback, useState } from 'react';
import { PANELS_KEY, readPanels, writePanels, type Panels } from './panels';

function stored(): string | null {
  try {
    return window.localStorage.getItem(PANELS_KEY);
  } catch {
    return null; // storage refused (private mode, a policy): panels start open
  }
}

export function usePanels(): [Panels, (side: keyof Panels) => void] {
  const [panels, setPanels] = useState<Panels>(() => readPanels(stored()));
  const toggle = useCallback((side: keyof Panels) => {
    setPanels((p) => {
      const next = { ...p, [side]: !p[side] };
      try {
        window.localStorage.setItem(PANELS_KEY, writePanels(next));
      } catch {
        /* not remembered, still folded for now */
      }
      return next;
    });
  }, []);
  return [panels, toggle];
}
