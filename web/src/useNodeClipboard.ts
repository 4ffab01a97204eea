// Copy, paste and duplicate on the editor's canvas (the pure part is
// clipboard.ts): the clipboard kept for the page, what may be pasted into
// the open workflow, and what the status line says about it.
import { useCallback, useRef } from 'react';
import { copySelection, pasteClip, type Clip } from './clipboard';
import type { Tone } from './editorSession';
import type { NodeDefinition } from './types';
import type { Rect } from './viewport';
import type { Graph } from './workflow';

export interface NodeClipboardDeps {
  graph: Graph | null;
  readOnly: boolean;
  family: string;
  definition: (step: string) => NodeDefinition | undefined;
  /** why a module of the family cannot be added now (the entry node) */
  blockedReason: (def: NodeDefinition) => string | undefined;
  edit: (fn: (g: Graph) => Graph) => void;
  setStatus: (text: string, tone?: Tone) => void;
  /** after nodes were added, with where they landed (to show them and their settings) */
  onAdded: (placed: Rect) => void;
}

export function useNodeClipboard({ graph, readOnly, family, definition, blockedReason, edit, setStatus, onAdded }: NodeClipboardDeps) {
  const clipboard = useRef<Clip | null>(null);

  /** Why a copied step cannot go into this workflow: not of its family, or a second entry node. */
  const pasteBlocked = useCallback(
    (step: string): string | undefined => {
      const def = definition(step);
      if (!def) return 'its module is unknown';
      if (!def.family.includes(family)) return `it lives in family ${def.family.join(', ')}, not ${family}`;
      return blockedReason(def);
    },
    [definition, family, blockedReason],
  );

  const pasteNodes = useCallback(
    (clip: Clip, verb: 'paste' | 'duplicate'): boolean => {
      if (!graph || readOnly) return false;
      const r = pasteClip(graph, clip, pasteBlocked);
      if (r.placed) {
        edit(() => r.graph);
        onAdded(r.placed);
      }
      const left = r.skipped.map((k) => `${k.id} (${k.reason})`).join('; ');
      if (!r.added.length) setStatus(`Nothing to ${verb}: ${left}.`, 'error');
      else setStatus(`${verb === 'paste' ? 'Pasted' : 'Duplicated'} ${r.added.join(', ')}.${left ? ` Not ${verb}d: ${left}.` : ''}`, left ? 'error' : 'ok');
      return true;
    },
    [graph, readOnly, pasteBlocked, edit, setStatus, onAdded],
  );

  /** Copies the selection; false when nothing is selected (the browser copies text then). */
  const copy = useCallback((): boolean => {
    const clip = graph ? copySelection(graph) : null;
    if (!clip) return false;
    clipboard.current = clip;
    const n = clip.nodes.length;
    const e = clip.edges.length;
    setStatus(`Copied ${n} node${n > 1 ? 's' : ''}${e ? ` and the ${e} edge${e > 1 ? 's' : ''} between them` : ''}. Ctrl+V pastes.`);
    return true;
  }, [graph, setStatus]);

  const paste = useCallback((): boolean => (clipboard.current ? pasteNodes(clipboard.current, 'paste') : false), [pasteNodes]);

  const duplicate = useCallback(() => {
    const clip = graph ? copySelection(graph) : null;
    if (clip) pasteNodes(clip, 'duplicate');
    else setStatus('Select nodes to duplicate them.');
  }, [graph, pasteNodes, setStatus]);

  return { copy, paste, duplicate };
}
