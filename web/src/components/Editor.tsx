// The workflow editor: workflow list and palette on the left, the graph in the
// middle, node settings and the invocation contract on the right, problems
// below. Everything about modules comes from the server's registry. The state
// of the open workflow is useEditSession's; what the editor loads at start,
// useEditorBoot's; its keys, useShortcuts'.
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  ControlButton,
  Controls,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  useStoreApi,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type NodeTypes,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useMemo, useRef, useState, type CSSProperties, type DragEvent, type MouseEvent as ReactMouseEvent, type ReactNode } from 'react';
import { api, ApiFailure } from '../api';
import { freeSpot } from '../clipboard';
import { EditorContext, type EditorContextValue } from '../context';
import { overlayRun, runBlocked, runFocus, workflowErrors } from '../editorRun';
import { outgoing, type EditSession } from '../editorSession';
import { latestCheck, needsCheck } from '../latestCheck';
import { estimatedHeight, layeredLayout } from '../layout';
import { candidateOf, connectionProblem, type ConnectionContext } from '../ports';
import { indexProblems, mapProblems, type Problem } from '../problems';
import { EDITOR_URL, parseWorkflowUrl, workflowUrl } from '../route';
import { mayAct } from '../session';
import type { Invocation, NodeDefinition, RunDetail, WorkflowDoc, WorkflowSummary } from '../types';
import { useEditorBoot } from '../useEditorBoot';
import { useEditSession } from '../useEditSession';
import { useReadableOpen } from '../useReadableOpen';
import { READABLE_ZOOM, viewportShowing, type Rect } from '../viewport';
import { usePanels } from '../usePanels';
import { useNodeClipboard } from '../useNodeClipboard';
import { useShortcuts } from '../useShortcuts';
import { panelClasses } from '../panels';
import {
  edgeKey,
  emptyInvocation,
  graphToWorkflow,
  newNodeId,
  pruneInvocation,
  WORKFLOW_SCHEMA,
  workflowToGraph,
  type FlowEdge,
  type FlowNode,
  type Graph,
  type ModuleNodeData,
  type WorkflowMeta,
} from '../workflow';
import { Brand } from './NavTabs';
import { CanvasBanners, type ReturnTo } from './CanvasBanners';
import { ConfirmDialog, type ConfirmRequest } from './ConfirmDialog';
import { EditorRunBanner } from './EditorRunBanner';
import { EditorRunDialog } from './EditorRunDialog';
import { EditorSidebar, type SidebarTab } from './EditorSidebar';
import { EditorToolbar } from './EditorToolbar';
import { Icon, typeColor } from './Icon';
import { ImportDialog } from './ImportDialog';
import { Inspector, type InspectorTab } from './Inspector';
import { ModuleNode } from './ModuleNode';
import { NewWorkflowDialog, type NewWorkflowRequest } from './NewWorkflowDialog';
import { STEP_MIME } from './Palette';
import { ProblemList, ProblemSummary } from './ProblemList';
import { FoldedStrip } from './PanelFold';
import { QuickAdd } from './QuickAdd';
import { ShortcutSheet } from './ShortcutSheet';
import { StatusLine } from './StatusLine';
import { VersionMoves } from './VersionMoves';

const nodeTypes: NodeTypes = { module: ModuleNode };

/** How long editing pauses before the server checks the graph on its own. */
const AUTO_VALIDATE_MS = 600;

/** A request from the output-type wizard: a new workflow of a family, then back. */
export interface EditorIntent {
  family: string;
  returnTo?: string;
}

export interface EditorProps {
  active: boolean;
  nav: ReactNode;
  intent?: EditorIntent;
  /** go to another page of the app (the wizard that asked for a workflow, a run) */
  onNavigate: (url: string) => void;
}

export function Editor({ active, nav, intent, onNavigate }: EditorProps) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const nodesInitialized = useNodesInitialized();
  const openReadable = useReadableOpen();
  const s = useEditSession();
  const { graph, session, readOnly, edit, quiet, setStatus, checked } = s;
  const family = graph?.meta.family ?? '';
  const { boot, bootError, familyDefs, familyInfo, defsSettled, paletteDefs, definition } = useEditorBoot(family);
  const [workflows, setWorkflows] = useState<WorkflowSummary[]>([]);
  const [leftTab, setLeftTab] = useState<SidebarTab>('workflows');
  const [rightTab, setRightTab] = useState<InspectorTab>('node');
  const [panels, togglePanel] = usePanels();
  const [dialog, setDialog] = useState<null | 'new' | 'import' | 'run' | 'quick-add' | 'shortcuts'>(null);
  // Where a module picked in the quick add goes (a double-click's spot), else the view's centre.
  const quickAddAt = useRef<{ x: number; y: number } | undefined>(undefined);
  // The run started from the editor, laid over the canvas while it is open.
  const [runId, setRunId] = useState<string | null>(null);
  const [liveRun, setLiveRun] = useState<RunDetail | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [pendingFit, setPendingFit] = useState(false);
  const [returnTo, setReturnTo] = useState<ReturnTo | null>(null);
  const [dialogFamily, setDialogFamily] = useState<string | undefined>();
  // The version a save just made over an older one: output types may still pin the older (VersionMoves).
  const [madeVersion, setMadeVersion] = useState<{ id: string; version: number } | null>(null);
  const dragBefore = useRef<Graph | null>(null);
  const canvasRef = useRef<HTMLDivElement>(null);

  // ---- registry ---------------------------------------------------------
  const refreshList = useCallback(async () => {
    try {
      setWorkflows((await api.list()).workflows);
    } catch (e) {
      setStatus(`Cannot list workflows: ${(e as Error).message}`, 'error');
    }
  }, [setStatus]);

  useEffect(() => {
    refreshList();
  }, [refreshList]);

  const problemIndex = useMemo(() => indexProblems(s.problems), [s.problems]);
  const portTypes = useMemo(() => new Map((boot?.vocabulary.port_types ?? []).map((t) => [t.key, t])), [boot]);

  const ctxValue = useMemo<EditorContextValue>(
    () => ({
      family,
      definition,
      familySteps: new Set(paletteDefs.map((d) => d.step)),
      entryStep: familyInfo?.entry_step,
      portTypes,
      problems: problemIndex,
      edges: graph?.edges ?? [],
      readOnly,
    }),
    [family, definition, paletteDefs, familyInfo, portTypes, problemIndex, graph?.edges, readOnly],
  );

  const connCtx = useMemo<ConnectionContext | null>(
    () =>
      graph
        ? {
            nodes: graph.nodes.map((n) => ({ id: n.id, step: n.data.step })),
            edges: graph.edges,
            definition,
            portTypes: boot?.vocabulary.port_types ?? [],
          }
        : null,
    [graph, definition, boot],
  );

  // ---- loading ------------------------------------------------------------
  const layoutGraph = useCallback(
    (g: Graph): Graph => {
      const pos = layeredLayout(
        g.nodes.map((n) => ({ id: n.id, height: n.measured?.height ?? estimatedHeight(definition(n.data.step)) })),
        g.edges,
      );
      return { ...g, nodes: g.nodes.map((n) => ({ ...n, position: pos.get(n.id) ?? n.position })) };
    },
    [definition],
  );

  const { start } = s;
  const loadDoc = useCallback(
    (d: WorkflowDoc, mode: EditSession['mode'], opts: { latestVersion?: number; layout?: boolean } = {}) => {
      const { graph: g0, unplaced } = workflowToGraph(d);
      const g = opts.layout || unplaced.length ? layoutGraph(g0) : g0;
      start(g, {
        mode,
        baseVersion: mode === 'new' ? 0 : (d.version ?? 0),
        latestVersion: opts.latestVersion,
        savedJson: mode === 'new' ? '' : JSON.stringify(graphToWorkflow(g)),
      });
      setRightTab('node');
      setPendingFit(true);
      setRunId(null);
      setLiveRun(null);
      setMadeVersion(null);
      window.history.replaceState(null, '', mode === 'new' ? EDITOR_URL : workflowUrl(d.id, d.version, mode === 'readonly'));
      return g;
    },
    [layoutGraph, start],
  );

  // A run's nodes grow (status, progress, previews) when it shows on the
  // canvas: a view zoomed out below readable text opens readable again, with
  // the running nodes in view. Once per run, so the user's own zoom stays.
  const runShown = useRef<string | null>(null);
  useEffect(() => {
    if (!runId || !liveRun || runShown.current === runId) return;
    runShown.current = runId;
    if (rf.getZoom() < READABLE_ZOOM - 1e-6) openReadable(0.06, runFocus(liveRun));
  }, [runId, liveRun, rf, openReadable]);

  useEffect(() => {
    // Opened once the family's definitions are in: before, nodes lack their ports and are shorter.
    if (pendingFit && nodesInitialized && defsSettled) {
      openReadable(0.06);
      setPendingFit(false);
    }
  }, [pendingFit, nodesInitialized, defsSettled, openReadable]);

  const guardDirty = useCallback(
    (action: () => void) => {
      if (!s.dirty) return action();
      setConfirm({
        title: 'Discard unsaved changes?',
        message: `“${graph?.meta.name}” has changes that are not saved. They will be lost.`,
        confirm: 'Discard changes',
        danger: true,
        onConfirm: action,
      });
    },
    [s.dirty, graph],
  );

  const openWorkflow = useCallback(
    (id: string, version?: number) =>
      guardDirty(async () => {
        try {
          if (version) {
            const [d, vs] = await Promise.all([api.version(id, version), api.versions(id)]);
            const latest = Math.max(...vs.versions.map((v) => v.version));
            loadDoc(d, version === latest ? 'edit' : 'readonly', { latestVersion: latest });
            setStatus(version === latest ? `Opened ${id} v${version} (latest).` : `Opened ${id} v${version}, read-only; v${latest} is the latest.`);
          } else {
            const d = await api.get(id);
            loadDoc(d, 'edit', { latestVersion: d.version });
            setStatus(`Opened ${id} v${d.version}.`);
            refreshList();
          }
        } catch (e) {
          setStatus(`Cannot open ${id}: ${(e as Error).message}`, 'error');
        }
      }),
    [guardDirty, loadDoc, setStatus, refreshList],
  );

  // open what the URL names, once
  const urlOpened = useRef(false);
  useEffect(() => {
    if (urlOpened.current || !boot) return;
    urlOpened.current = true;
    const target = parseWorkflowUrl(window.location.pathname);
    if (target) openWorkflow(target.id, target.version);
  }, [boot, openWorkflow]);

  const intentKey = intent ? `${intent.family}|${intent.returnTo ?? ''}` : '';
  useEffect(() => {
    if (!active || !intent || !boot) return;
    setDialogFamily(intent.family);
    setReturnTo(intent.returnTo ? { url: intent.returnTo } : null);
    setDialog('new');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active, intentKey, boot]);

  const goBack = useCallback(() => {
    if (!returnTo) return;
    const url = new URL(returnTo.url, window.location.origin);
    if (returnTo.saved) {
      url.searchParams.set('workflow', returnTo.saved.id);
      url.searchParams.set('version', String(returnTo.saved.version));
    }
    setReturnTo(null);
    onNavigate(url.pathname + url.search);
  }, [returnTo, onNavigate]);

  // ---- editing ------------------------------------------------------------
  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const keep = changes.filter((c) => c.type !== 'remove');
      if (keep.length) quiet((g) => ({ ...g, nodes: applyNodeChanges(keep, g.nodes) }));
    },
    [quiet],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange<FlowEdge>[]) => {
      const keep = changes.filter((c) => c.type !== 'remove');
      if (keep.length) quiet((g) => ({ ...g, edges: applyEdgeChanges(keep, g.edges) }));
    },
    [quiet],
  );
  const onDelete = useCallback(
    ({ nodes, edges }: { nodes: FlowNode[]; edges: FlowEdge[] }) => {
      const gone = new Set(nodes.map((n) => n.id));
      const goneEdges = new Set(edges.map((e) => e.id));
      edit((g) => ({
        ...g,
        nodes: g.nodes.filter((n) => !gone.has(n.id)),
        edges: g.edges.filter((e) => !goneEdges.has(e.id) && !gone.has(e.source) && !gone.has(e.target)),
        invocation: pruneInvocation(g.invocation, gone),
      }));
      const parts = [nodes.length && `${nodes.length} node${nodes.length > 1 ? 's' : ''}`, edges.length && `${edges.length} edge${edges.length > 1 ? 's' : ''}`].filter(Boolean);
      setStatus(`Deleted ${parts.join(' and ')}. Ctrl+Z undoes.`);
    },
    [edit, setStatus],
  );

  const isValidConnection = useCallback((c: FlowEdge | Connection) => !!connCtx && connectionProblem(c, connCtx) === null, [connCtx]);

  const onConnect = useCallback(
    (c: Connection) => {
      if (!connCtx || connectionProblem(c, connCtx)) return;
      const e = { from: { node: c.source, port: c.sourceHandle ?? '' }, to: { node: c.target, port: c.targetHandle ?? '' } };
      edit((g) => ({
        ...g,
        edges: [...g.edges, { id: edgeKey(e), source: c.source, sourceHandle: c.sourceHandle, target: c.target, targetHandle: c.targetHandle }],
      }));
      setStatus(`Connected ${c.source}.${c.sourceHandle} → ${c.target}.${c.targetHandle}.`, 'ok');
    },
    [connCtx, edit, setStatus],
  );

  const onConnectEnd = useCallback(
    (_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (!connCtx || state.isValid !== false || !state.fromHandle || !state.toHandle) return;
      const reason = connectionProblem(candidateOf(state.fromHandle, state.toHandle), connCtx);
      if (reason) setStatus(`Refused: ${reason}`, 'error');
    },
    [connCtx, setStatus],
  );

  const blockedReason = useCallback(
    (def: NodeDefinition): string | undefined => {
      if (!graph) return 'no workflow is open';
      const isEntry = def.entry || def.step === familyInfo?.entry_step;
      if (!isEntry) return undefined;
      const existing = graph.nodes.find((n) => {
        const d = definition(n.data.step);
        return d?.entry || n.data.step === familyInfo?.entry_step;
      });
      return existing ? `the workflow already has its entry node (${existing.id}); a workflow has exactly one` : undefined;
    },
    [graph, familyInfo, definition],
  );

  const addNode = useCallback(
    (step: string, at?: { x: number; y: number }, exact = false) => {
      if (!graph || readOnly) return;
      const def = definition(step);
      const reason = def ? blockedReason(def) : 'unknown step';
      if (reason) {
        setStatus(`Cannot add ${step}: ${reason}`, 'error');
        return;
      }
      const id = newNodeId(step, graph.nodes.map((n) => n.id));
      let position = at;
      if (!position) {
        const r = canvasRef.current?.getBoundingClientRect();
        const c = r ? rf.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 }) : { x: 0, y: 0 };
        position = { x: c.x - 110, y: c.y - 50 };
      }
      // Where it was dropped, it goes; otherwise near there, but not over another node.
      if (!exact) {
        const taken = graph.nodes.map((n) => ({ ...n.position, width: n.measured?.width ?? 220, height: n.measured?.height ?? estimatedHeight(definition(n.data.step)) }));
        position = freeSpot(taken, { width: 220, height: estimatedHeight(def) }, position);
      }
      const data: ModuleNodeData = { step, params: {}, ui: {}, extra: {} };
      const node: FlowNode = { id, type: 'module', position, data, selected: true };
      edit((g) => ({ ...g, nodes: [...g.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node], edges: g.edges.map((e) => (e.selected ? { ...e, selected: false } : e)) }));
      setRightTab('node');
      setStatus(`Added ${id} (${step}).`, 'ok');
    },
    [graph, readOnly, definition, blockedReason, rf, edit, setStatus],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const step = e.dataTransfer.getData(STEP_MIME);
      if (!step) return;
      e.preventDefault();
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addNode(step, { x: p.x - 110, y: p.y - 30 }, true);
    },
    [rf, addNode],
  );

  const updateNodeData = useCallback(
    (nodeId: string, fn: (d: ModuleNodeData) => ModuleNodeData, key: string) =>
      edit((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === nodeId ? { ...n, data: fn(n.data) } : n)) }), key),
    [edit],
  );
  const updateMeta = useCallback((patch: Partial<WorkflowMeta>, key: string) => edit((g) => ({ ...g, meta: { ...g.meta, ...patch } }), key), [edit]);
  const updateInvocation = useCallback((inv: Invocation, key: string) => edit((g) => ({ ...g, invocation: inv }), key), [edit]);

  const autoLayout = useCallback(() => {
    if (!graph || readOnly) return;
    edit((g) => layoutGraph(g));
    setPendingFit(true);
    setStatus('Laid out by topological depth.');
  }, [graph, readOnly, edit, layoutGraph, setStatus]);

  // ---- server round trips --------------------------------------------------
  const validate = useCallback(async () => {
    if (!graph) return;
    const body = graphToWorkflow(graph);
    setBusy(true);
    try {
      const r = await api.validate(body);
      checked(body, mapProblems(r.errors, body));
      setStatus(r.valid ? 'Valid: the server found no problems.' : `Invalid: ${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}, listed below.`, r.valid ? 'ok' : 'error');
    } catch (e) {
      setStatus(`Cannot validate: ${(e as Error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  }, [graph, checked, setStatus]);

  // The server checks the graph on its own once editing pauses (an edit, an
  // undo, a fix), so problems follow the graph; only the answer about the
  // latest graph is shown. It leaves the status line to what the user did.
  const autoCheck = useMemo(
    () =>
      latestCheck(
        AUTO_VALIDATE_MS,
        async (body: WorkflowDoc) => ({ body, result: await api.validate(body) }),
        (_key, { body, result }) => checked(body, mapProblems(result.errors, body)),
      ),
    [checked],
  );
  useEffect(() => () => autoCheck.cancel(), [autoCheck]);
  const wanted = readOnly ? undefined : needsCheck(s.docLogic, s.checkedLogic, s.openedLogic);
  const currentDoc = s.doc;
  useEffect(() => {
    if (wanted && currentDoc) autoCheck.request(wanted, currentDoc);
    else autoCheck.cancel();
    // currentDoc changes with every move; what is checked changes with `wanted`
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wanted, autoCheck]);

  const { setSession, setConflict, setProblems } = s;
  const save = useCallback(async () => {
    if (!graph || !session || session.mode === 'readonly') return;
    const body = outgoing(graphToWorkflow(graph), session);
    setBusy(true);
    try {
      const stored = session.mode === 'new' ? await api.create(body) : await api.update(body.id, body);
      setSession({ mode: 'edit', baseVersion: stored.version ?? 0, latestVersion: stored.version, savedJson: JSON.stringify(graphToWorkflow(graph)) });
      checked(body, []);
      setConflict(null);
      window.history.replaceState(null, '', workflowUrl(stored.id));
      setStatus(`Saved ${stored.id} as version ${stored.version}.`, 'ok');
      if (session.mode === 'edit' && stored.version && stored.version > 1) setMadeVersion({ id: stored.id, version: stored.version });
      if (stored.family && returnTo) setReturnTo((r) => (r ? { ...r, saved: { id: stored.id, version: stored.version ?? 1 } } : r));
      refreshList();
    } catch (e) {
      const f = e as ApiFailure;
      if (f.status === 422) {
        checked(body, mapProblems(f.errors, body));
        setStatus(`Not saved: the server found ${f.errors.length} problem${f.errors.length === 1 ? '' : 's'}, listed below.`, 'error');
      } else if (f.status === 409 && session.mode === 'edit') {
        setConflict(f.message);
        setStatus(`Not saved: someone else saved ${body.id} after you opened v${session.baseVersion}.`, 'error');
      } else if (f.status === 409) {
        setProblems(mapProblems(f.errors, body));
        setStatus(`Not saved: ${f.message}. Choose another id.`, 'error');
      } else {
        setStatus(`Not saved: ${f.message}`, 'error');
      }
    } finally {
      setBusy(false);
    }
  }, [graph, session, refreshList, setStatus, returnTo, checked, setSession, setConflict, setProblems]);

  const createWorkflow = useCallback(
    (req: NewWorkflowRequest) => {
      setDialog(null);
      guardDirty(() => {
        const base: WorkflowDoc = req.starter
          ? { ...JSON.parse(JSON.stringify(req.starter)), id: req.id, name: req.name }
          : {
              schema: WORKFLOW_SCHEMA,
              id: req.id,
              name: req.name,
              family: req.family.key,
              nodes: [{ id: newNodeId(req.family.entry_step, []), step: req.family.entry_step, params: {}, ui: { x: 0, y: 0 } }],
              edges: [],
              invocation: emptyInvocation(),
            };
        delete base.version;
        loadDoc(base, 'new');
        setLeftTab('palette');
        setStatus(req.starter ? `New workflow from the starter “${req.starter.name}”. Save to create version 1.` : 'New blank workflow. Add modules from the palette.');
      });
    },
    [guardDirty, loadDoc, setStatus],
  );

  const importDoc = useCallback(
    (raw: unknown) => {
      setDialog(null);
      guardDirty(async () => {
        const d = raw as WorkflowDoc;
        if (!Array.isArray(d.nodes)) d.nodes = [];
        if (!Array.isArray(d.edges)) d.edges = [];
        const g = loadDoc({ ...d, version: undefined }, 'new', { layout: true });
        setLeftTab('palette');
        const body = graphToWorkflow(g);
        try {
          const r = await api.validate(body);
          checked(body, mapProblems(r.errors, body));
          setStatus(
            r.valid ? `Imported ${body.id}: valid. Save to store it.` : `Imported ${body.id}: ${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}, pinned to the graph.`,
            r.valid ? 'ok' : 'error',
          );
        } catch (e) {
          setStatus(`Imported, but cannot validate: ${(e as Error).message}`, 'error');
        }
      });
    },
    [guardDirty, loadDoc, checked, setStatus],
  );

  const exportDoc = useCallback(() => {
    if (!graph || !session) return;
    const body = outgoing(graphToWorkflow(graph), session);
    const blob = new Blob([JSON.stringify(body, null, 2) + '\n'], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${body.id || 'workflow'}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    setStatus(`Exported ${a.download}.`);
  }, [graph, session, setStatus]);

  const { close } = s;
  const deleteWorkflow = useCallback(
    (id: string) =>
      setConfirm({
        title: `Delete ${id}?`,
        message: 'The workflow leaves the list. Its versions stay readable for the runs that used them.',
        confirm: 'Delete',
        danger: true,
        onConfirm: async () => {
          try {
            await api.remove(id);
            if (graph?.meta.id === id && session?.mode !== 'new') {
              close();
              window.history.replaceState(null, '', EDITOR_URL);
            }
            setStatus(`Deleted ${id}.`);
            refreshList();
          } catch (e) {
            setStatus(`Cannot delete ${id}: ${(e as Error).message}`, 'error');
          }
        },
      }),
    [graph, session, refreshList, setStatus, close],
  );

  const selectProblem = useCallback(
    (p: Problem) => {
      const t = p.target;
      if (t.kind === 'node' || t.kind === 'edge') {
        const ids =
          t.kind === 'node'
            ? [t.nodeId]
            : (() => {
                const e = graph?.edges.find((x) => x.id === t.edgeId);
                return e ? [e.source, e.target] : [];
              })();
        quiet((g) => ({
          ...g,
          nodes: g.nodes.map((n) => ({ ...n, selected: t.kind === 'node' && n.id === t.nodeId })),
          edges: g.edges.map((e) => ({ ...e, selected: t.kind === 'edge' && e.id === t.edgeId })),
        }));
        if (ids.length) rf.fitView({ nodes: ids.map((id) => ({ id })), duration: 250, maxZoom: 1, padding: 0.5 });
        if (t.kind === 'node') setRightTab('node');
      } else if (t.kind === 'invocation') {
        setRightTab('invocation');
      }
    },
    [graph, quiet, rf],
  );

  // ---- copy, paste, duplicate, quick add --------------------------------------
  // What was pasted or duplicated comes into view (free space may be off screen), panned, not zoomed.
  const flowStore = useStoreApi<FlowNode, FlowEdge>();
  const onPasted = useCallback(
    (placed: Rect) => {
      setRightTab('node');
      const { width, height } = flowStore.getState();
      const now = rf.getViewport();
      const next = viewportShowing(now, { width, height }, placed);
      if (next !== now) void rf.setViewport(next);
    },
    [rf, flowStore],
  );
  const nodeClipboard = useNodeClipboard({ graph, readOnly, family, definition, blockedReason, edit, setStatus, onAdded: onPasted });

  const openQuickAdd = useCallback(
    (at?: { x: number; y: number }) => {
      if (!graph || readOnly) return;
      quickAddAt.current = at;
      setDialog('quick-add');
    },
    [graph, readOnly],
  );

  const onCanvasDoubleClick = useCallback(
    (e: ReactMouseEvent<HTMLElement>) => {
      if (!(e.target as HTMLElement).classList.contains('react-flow__pane')) return;
      const p = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      openQuickAdd({ x: p.x - 20, y: p.y - 20 });
    },
    [rf, openQuickAdd],
  );

  useShortcuts(active, readOnly, {
    save,
    undo: s.doUndo,
    redo: s.doRedo,
    ...nodeClipboard,
    quickAdd: () => openQuickAdd(),
    help: () => setDialog('shortcuts'),
  });

  // ---- rendering ----------------------------------------------------------
  const entryCount = useMemo(() => graph?.nodes.filter((n) => definition(n.data.step)?.entry || n.data.step === familyInfo?.entry_step).length ?? 0, [graph, definition, familyInfo]);
  const rfNodes = useMemo(
    () =>
      (graph?.nodes ?? []).map((n) => {
        const isEntry = !!definition(n.data.step)?.entry || n.data.step === familyInfo?.entry_step;
        return isEntry && entryCount === 1 ? { ...n, deletable: false } : n;
      }),
    [graph, definition, familyInfo, entryCount],
  );
  const shownNodes = useMemo(() => overlayRun(rfNodes, runId ? liveRun : null), [rfNodes, runId, liveRun]);
  // An edge takes its port type's colour (the CSS reads --edge-color); one with a problem is drawn as such.
  const rfEdges = useMemo(
    () =>
      (graph?.edges ?? []).map((e) => {
        const src = graph!.nodes.find((n) => n.id === e.source);
        const type = src && definition(src.data.step)?.output_contract.find((p) => p.name === e.sourceHandle)?.type;
        const bad = problemIndex.byEdge.has(e.id);
        return { ...e, className: bad ? 'edge-problem' : undefined, style: type ? ({ '--edge-color': typeColor(type) } as CSSProperties) : undefined };
      }),
    [graph, definition, problemIndex],
  );

  const takenIds = useMemo(() => new Set(workflows.map((w) => w.id)), [workflows]);
  const familyLabel = familyInfo?.label ?? family;
  const mayRun = mayAct('editor') || mayAct('operator');
  const runReason = !mayRun ? 'your sign-in may not start runs' : runBlocked(family, familyLabel, !!graph);
  const clearRun = useCallback(() => {
    setRunId(null);
    setLiveRun(null);
  }, []);
  // A check is due (the first one too): the summary says "checking…" until its answer.
  const stale = wanted !== undefined;

  if (bootError) {
    return (
      <div className="fatal">
        <h1>Prodflow</h1>
        <p>The editor cannot reach the server: {bootError}</p>
      </div>
    );
  }

  return (
    <EditorContext.Provider value={ctxValue}>
      <div className={`app ${panelClasses(panels)}`}>
        <header className="topbar">
          <Brand />
          {nav}
          <EditorToolbar
            meta={graph?.meta}
            session={session}
            familyInfo={familyInfo}
            dirty={s.dirty}
            busy={busy}
            canUndo={s.canUndo}
            canRedo={s.canRedo}
            onMeta={updateMeta}
            onUndo={s.doUndo}
            onRedo={s.doRedo}
            onLayout={autoLayout}
            onImport={() => setDialog('import')}
            onExport={exportDoc}
            onValidate={validate}
            onSave={save}
            onRun={() => setDialog('run')}
            runBlocked={runReason}
          />
        </header>

        <aside className="sidebar" aria-label="Workflows and modules">
          {panels.left ? (
            <FoldedStrip side="left" label="Workflows and palette" onOpen={() => togglePanel('left')} />
          ) : (
          <EditorSidebar
            tab={leftTab}
            onTab={setLeftTab}
            workflows={workflows}
            families={boot?.families ?? []}
            graph={graph}
            session={session}
            familyDefs={familyDefs}
            paletteDefs={paletteDefs}
            familyLabel={familyLabel}
            blocked={blockedReason}
            onOpen={openWorkflow}
            onDelete={deleteWorkflow}
            onNew={() => setDialog('new')}
            onImport={() => setDialog('import')}
            onAdd={(step) => addNode(step)}
            onFold={() => togglePanel('left')}
          />
          )}
        </aside>

        <main className="canvas" ref={canvasRef} onDoubleClick={onCanvasDoubleClick} onDragOver={(e) => e.dataTransfer.types.includes(STEP_MIME) && e.preventDefault()} onDrop={onDrop}>
          {graph ? (
            <>
              <ReactFlow<FlowNode, FlowEdge>
                colorMode="system"
                nodes={shownNodes}
                edges={rfEdges}
                nodeTypes={nodeTypes}
                onNodesChange={onNodesChange}
                onEdgesChange={onEdgesChange}
                onDelete={onDelete}
                onConnect={onConnect}
                onConnectEnd={onConnectEnd}
                isValidConnection={isValidConnection}
                onNodeDragStart={() => {
                  dragBefore.current = s.hist?.present ?? null;
                }}
                onNodeDragStop={() => {
                  const before = dragBefore.current;
                  dragBefore.current = null;
                  if (before) s.commitSince(before);
                }}
                onNodeClick={() => setRightTab('node')}
                nodesDraggable={!readOnly}
                nodesConnectable={!readOnly}
                deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
                connectionRadius={28}
                zoomOnDoubleClick={false}
                fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
                minZoom={0.2}
                maxZoom={2}
                proOptions={{ hideAttribution: true }}
                aria-label="Workflow graph"
              >
                <Background gap={20} size={1} color="#d0d5dd" />
                {/* Fit view opens the graph readable (viewport.ts), never below 11 px text. */}
                <Controls showInteractive={false} showFitView={false} position="bottom-left">
                  <ControlButton className="react-flow__controls-fitview" onClick={() => openReadable(0.06, runId && liveRun ? runFocus(liveRun) : undefined)} title="Fit view" aria-label="Fit view">
                    <Icon name="fit" />
                  </ControlButton>
                </Controls>
                <MiniMap pannable zoomable position="bottom-right" nodeStrokeWidth={2} style={{ width: 150, height: 100 }} />
              </ReactFlow>
              <CanvasBanners
                workflowId={graph.meta.id}
                session={session}
                returnTo={returnTo}
                conflict={s.conflict}
                onOpenLatest={() => openWorkflow(graph.meta.id)}
                onReturn={goBack}
                onExport={exportDoc}
              />
              {madeVersion && madeVersion.id === graph.meta.id && (
                <VersionMoves
                  key={`${madeVersion.id}@${madeVersion.version}`}
                  workflowId={madeVersion.id}
                  version={madeVersion.version}
                  onClose={() => setMadeVersion(null)}
                  onNavigate={onNavigate}
                  lower={!!returnTo || !!s.conflict}
                />
              )}
              {runId && <EditorRunBanner key={runId} runId={runId} onRun={setLiveRun} onOpen={(id) => onNavigate(`/runs/${encodeURIComponent(id)}`)} onClear={clearRun} />}
            </>
          ) : (
            <div className="welcome">
              <h2>Workflow editor</h2>
              <p>Open a workflow from the list, or start a new one from a family’s entry node or one of its starter templates.</p>
              <div className="welcome-actions">
                <button type="button" className="primary" onClick={() => setDialog('new')}>
                  New workflow
                </button>
                <button type="button" onClick={() => setDialog('import')}>
                  Import JSON
                </button>
              </div>
            </div>
          )}
        </main>

        <section className="bottombar" aria-label="Status and problems">
          <div className="bottombar-row">
            <StatusLine status={s.status} ctx={connCtx} />
            <ProblemSummary count={s.problems.length} checked={s.checkedLogic !== null} stale={stale} />
          </div>
          <ProblemList problems={s.problems} checked={s.checkedLogic !== null} stale={stale} onSelect={selectProblem} />
        </section>

        <aside className="rightpanel" aria-label="Node and invocation">
          {panels.right ? (
            <FoldedStrip side="right" label={problemIndex.byInvocation.size ? 'Node and invocation (!)' : 'Node and invocation'} onOpen={() => togglePanel('right')} />
          ) : (
          <Inspector
            graph={graph}
            tab={rightTab}
            onTab={setRightTab}
            readOnly={readOnly}
            problems={problemIndex}
            familyInfo={familyInfo}
            vocabulary={boot?.vocabulary}
            policySchema={boot?.policySchema}
            onNodeData={updateNodeData}
            onMeta={updateMeta}
            onInvocation={updateInvocation}
            onFold={() => togglePanel('right')}
          />
          )}
        </aside>
      </div>
      {dialog === 'new' && boot && (
        <NewWorkflowDialog
          families={boot.families}
          takenIds={takenIds}
          initialFamily={dialogFamily}
          onCreate={createWorkflow}
          onClose={() => {
            setDialog(null);
            setDialogFamily(undefined);
          }}
        />
      )}
      {dialog === 'run' && s.doc && session && (
        <EditorRunDialog
          doc={s.doc}
          session={session}
          dirty={s.dirty}
          onClose={() => setDialog(null)}
          onRefused={(errors) => {
            // The workflow's own problems go onto the canvas, as a check would put them.
            const mine = workflowErrors(errors);
            if (mine.length && s.doc) checked(s.doc, mapProblems(mine, s.doc));
          }}
          onStarted={(id) => {
            setDialog(null);
            setLiveRun(null);
            setRunId(id);
            setStatus('Run started; its progress shows on the nodes.', 'ok');
          }}
        />
      )}
      {dialog === 'quick-add' && graph && (
        <QuickAdd
          definitions={boot?.allDefs ?? []}
          family={family}
          families={boot?.families ?? []}
          blocked={blockedReason}
          onClose={() => setDialog(null)}
          onAdd={(step) => {
            setDialog(null);
            addNode(step, quickAddAt.current);
          }}
        />
      )}
      {dialog === 'shortcuts' && <ShortcutSheet onClose={() => setDialog(null)} />}
      {dialog === 'import' && <ImportDialog onImport={importDoc} onClose={() => setDialog(null)} />}
      {confirm && <ConfirmDialog req={confirm} onClose={() => setConfirm(null)} />}
    </EditorContext.Provider>
  );
}
