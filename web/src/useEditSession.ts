// The editor's state of the open workflow: its graph with undo history, the
// session it was opened in, the server's problems and the status line, and
// the edits made to it. Views and dialogs around it are the editor's.
import { useCallback, useMemo, useState } from 'react';
import { isDirty, logicJson, type EditSession, type StatusMessage, type Tone } from './editorSession';
import { commitFrom, createHistory, record, redo, replace, undo, type History } from './history';
import type { Problem } from './problems';
import type { WorkflowDoc } from './types';
import { graphToWorkflow, type Graph } from './workflow';

export function useEditSession() {
  const [hist, setHist] = useState<History<Graph> | null>(null);
  const [session, setSession] = useState<EditSession | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  // The logic (logicJson) of the document the problems are about; null when never checked.
  const [checkedLogic, setCheckedLogic] = useState<string | null>(null);
  // The logic of the document as it was opened: until it changes there is nothing to check on its own.
  const [openedLogic, setOpenedLogic] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  const [status, setStatusState] = useState<StatusMessage | null>(null);

  const setStatus = useCallback((text: string, tone: Tone = 'info') => setStatusState({ text, tone }), []);

  const graph = hist?.present ?? null;
  const doc = useMemo(() => (graph ? graphToWorkflow(graph) : null), [graph]);
  const docJson = useMemo(() => (doc ? JSON.stringify(doc) : ''), [doc]);
  const docLogic = useMemo(() => (doc ? logicJson(doc) : ''), [doc]);
  const dirty = isDirty(session, docJson);
  const readOnly = session?.mode === 'readonly';

  /** Start over with a graph: a fresh history, no problems, no conflict. */
  const start = useCallback((g: Graph, s: EditSession) => {
    setHist(createHistory(g));
    setOpenedLogic(logicJson(graphToWorkflow(g)));
    setSession(s);
    setProblems([]);
    setCheckedLogic(null);
    setConflict(null);
  }, []);

  const close = useCallback(() => {
    setHist(null);
    setSession(null);
  }, []);

  /** What the server said of a document: its problems, about that document's logic. */
  const checked = useCallback((body: WorkflowDoc, found: Problem[]) => {
    setProblems(found);
    setCheckedLogic(logicJson(body));
  }, []);

  /** An undoable edit; edits with the same key in quick succession are one step. */
  const edit = useCallback((fn: (g: Graph) => Graph, key?: string) => setHist((h) => (h ? record(h, fn(h.present), key) : h)), []);
  /** A change that is not a step of its own (selection, measuring, dragging in progress). */
  const quiet = useCallback((fn: (g: Graph) => Graph) => setHist((h) => (h ? replace(h, fn(h.present)) : h)), []);
  /** The changes since `before` as one undo step (a finished drag). */
  const commitSince = useCallback((before: Graph) => setHist((h) => (h ? commitFrom(h, before) : h)), []);
  const doUndo = useCallback(() => setHist((h) => (h ? undo(h) : h)), []);
  const doRedo = useCallback(() => setHist((h) => (h ? redo(h) : h)), []);

  return {
    hist,
    graph,
    doc,
    docLogic,
    dirty,
    readOnly,
    session,
    setSession,
    problems,
    setProblems,
    checkedLogic,
    openedLogic,
    checked,
    conflict,
    setConflict,
    status,
    setStatus,
    start,
    close,
    edit,
    quiet,
    commitSince,
    doUndo,
    doRedo,
    canUndo: !!hist?.past.length && !readOnly,
    canRedo: !!hist?.future.length && !readOnly,
  };
}

export type EditSessionState = ReturnType<typeof useEditSession>;
