// The workflow editor: workflow list and palette on the left, the graph in the
// middle, node settings and the invocation contract on the right, problems
// below. Everything about modules comes from the server's registry.
// The app around it switches between the editor and the run view (see route.ts).
import {
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useConnection,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type FinalConnectionState,
  type NodeChange,
  type NodeTypes,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type ReactNode } from 'react';
import { api, ApiFailure } from './api';
import { ConfirmDialog, type ConfirmRequest } from './components/ConfirmDialog';
import { typeColor } from './components/Icon';
import { ImportDialog } from './components/ImportDialog';
import { InvocationPanel } from './components/InvocationPanel';
import { ModuleNode } from './components/ModuleNode';
import { Brand, NavTabs, type View } from './components/NavTabs';
import { NewWorkflowDialog, type NewWorkflowRequest } from './components/NewWorkflowDialog';
import { NodePanel } from './components/NodePanel';
import { Palette, STEP_MIME } from './components/Palette';
import { ProblemList, ProblemSummary } from './components/ProblemList';
import { RunsView } from './components/RunsView';
import { CatalogView } from './components/CatalogView';
import { useReadableOpen } from './useReadableOpen';
import { NotFoundPage } from './components/NotFoundPage';
import { WorkflowList } from './components/WorkflowList';
import { EditorContext, type EditorContextValue } from './context';
import { commitFrom, createHistory, record, redo, replace, undo, type History } from './history';
import { layeredLayout } from './layout';
import { connectionProblem, connectionSummary, type Candidate, type ConnectionContext } from './ports';
import { indexProblems, mapProblems, type Problem } from './problems';
import { EDITOR_URL, sectionOf, useRoute, type CatalogRoute } from './route';
import type { Family, Invocation, JSONSchema, NodeDefinition, Vocabulary, WorkflowDoc, WorkflowSummary } from './types';
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
} from './workflow';

interface Boot {
  families: Family[];
  vocabulary: Vocabulary;
  policySchema?: JSONSchema;
  allDefs: NodeDefinition[];
}

interface Session {
  /** new: never saved (POST); edit: PUT over baseVersion; readonly: an old version */
  mode: 'new' | 'edit' | 'readonly';
  baseVersion: number;
  latestVersion?: number;
  /** the document as last loaded or saved, to tell unsaved changes */
  savedJson: string;
}

type Tone = 'info' | 'ok' | 'error';

const nodeTypes: NodeTypes = { module: ModuleNode };

/** The document without positions: what validation depends on. */
function logicJson(doc: WorkflowDoc): string {
  return JSON.stringify({ ...doc, nodes: doc.nodes.map(({ ui: _ui, ...n }) => n) });
}

function estimatedHeight(def: NodeDefinition | undefined): number {
  const rows = def ? Math.max(def.input_contract.length, def.output_contract.length) : 1;
  return 78 + 24 * rows + (def && !def.available ? 18 : 0);
}

function urlFor(id?: string, version?: number, readOnly?: boolean): string {
  if (!id) return EDITOR_URL;
  return readOnly && version ? `/workflows/${encodeURIComponent(id)}/versions/${version}` : `/workflows/${encodeURIComponent(id)}`;
}

function parseUrl(path: string): { id: string; version?: number } | null {
  const m = /^\/workflows\/([^/]+)(?:\/versions\/(\d+))?\/?$/.exec(path);
  return m ? { id: decodeURIComponent(m[1]), version: m[2] ? Number(m[2]) : undefined } : null;
}

function StatusLine({ status, ctx }: { status: { text: string; tone: Tone } | null; ctx: ConnectionContext | null }) {
  const conn = useConnection();
  let text = status?.text ?? '';
  let tone: Tone = status?.tone ?? 'info';
  if (conn.inProgress && ctx) {
    const from = conn.fromHandle;
    const to = conn.toHandle;
    if (!to) {
      text = `Connecting from ${from.nodeId}.${from.id}: drop on a ${from.type === 'source' ? 'matching input' : 'matching output'}`;
      tone = 'info';
    } else {
      const cand = candidateOf(from, to);
      const problem = connectionProblem(cand, ctx);
      text = problem ? problem : connectionSummary(cand, ctx);
      tone = problem ? 'error' : 'ok';
    }
  }
  return (
    <div className={`status-line tone-${tone}`} role="status" aria-live="polite" data-testid="status-line">
      {text || 'Ready.'}
    </div>
  );
}

function candidateOf(
  from: { nodeId: string; id?: string | null; type: 'source' | 'target' },
  to: { nodeId: string; id?: string | null; type: 'source' | 'target' },
): Candidate {
  return from.type === 'source'
    ? { source: from.nodeId, sourceHandle: from.id, target: to.nodeId, targetHandle: to.id }
    : { source: to.nodeId, sourceHandle: to.id, target: from.nodeId, targetHandle: from.id };
}

/** A request from the output-type wizard: a new workflow of a family, then back. */
export interface EditorIntent {
  family: string;
  returnTo?: string;
}

function Editor({ active, nav, intent, onReturn }: { active: boolean; nav: ReactNode; intent?: EditorIntent; onReturn: (url: string) => void }) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const nodesInitialized = useNodesInitialized();
  const openReadable = useReadableOpen();
  const [boot, setBoot] = useState<Boot | null>(null);
  const [bootError, setBootError] = useState('');
  const [workflows, setWorkflows] = useState<WorkflowSummary[]>([]);
  const [familyDefs, setFamilyDefs] = useState<Record<string, NodeDefinition[] | string>>({});
  const [hist, setHist] = useState<History<Graph> | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [checkedLogic, setCheckedLogic] = useState<string | null>(null);
  const [status, setStatusState] = useState<{ text: string; tone: Tone } | null>(null);
  const [leftTab, setLeftTab] = useState<'workflows' | 'palette'>('workflows');
  const [rightTab, setRightTab] = useState<'node' | 'invocation'>('node');
  const [dialog, setDialog] = useState<null | 'new' | 'import'>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [conflict, setConflict] = useState<string | null>(null);
  const [pendingFit, setPendingFit] = useState(false);
  // The wizard that sent us here, and the workflow saved for it.
  const [returnTo, setReturnTo] = useState<{ url: string; saved?: { id: string; version: number } } | null>(null);
  const [dialogFamily, setDialogFamily] = useState<string | undefined>();
  const dragBefore = useRef<Graph | null>(null);
  const canvasRef = useRef<HTMLDivElement>(null);

  const setStatus = useCallback((text: string, tone: Tone = 'info') => setStatusState({ text, tone }), []);

  const graph = hist?.present ?? null;
  const family = graph?.meta.family ?? '';
  const defsSettled = family in familyDefs && familyDefs[family] !== 'loading';
  const familyInfo = boot?.families.find((f) => f.key === family);
  const readOnly = session?.mode === 'readonly';
  const doc = useMemo(() => (graph ? graphToWorkflow(graph) : null), [graph]);
  const docJson = useMemo(() => (doc ? JSON.stringify(doc) : ''), [doc]);
  const docLogic = useMemo(() => (doc ? logicJson(doc) : ''), [doc]);
  const dirty = !!session && session.mode !== 'readonly' && (session.mode === 'new' || docJson !== session.savedJson);

  // ---- registry ---------------------------------------------------------
  const refreshList = useCallback(async () => {
    try {
      setWorkflows((await api.list()).workflows);
    } catch (e) {
      setStatus(`Cannot list workflows: ${(e as Error).message}`, 'error');
    }
  }, [setStatus]);

  useEffect(() => {
    (async () => {
      try {
        const [fam, defs, oas] = await Promise.all([api.families(), api.nodeDefinitions(), api.openapi().catch(() => null)]);
        setBoot({
          families: fam.families,
          vocabulary: fam.vocabulary ?? { port_types: [], artifact_roles: [], artifact_kinds: [] },
          policySchema: oas?.components?.schemas?.Policy,
          allDefs: defs.node_definitions,
        });
      } catch (e) {
        setBootError((e as Error).message);
      }
    })();
    refreshList();
  }, [refreshList]);

  useEffect(() => {
    if (!family || family in familyDefs) return;
    setFamilyDefs((m) => ({ ...m, [family]: 'loading' }));
    api.nodeDefinitions(family).then(
      (r) => setFamilyDefs((m) => ({ ...m, [family]: r.node_definitions })),
      (e: Error) => setFamilyDefs((m) => ({ ...m, [family]: e.message })),
    );
  }, [family, familyDefs]);

  const paletteDefs = useMemo(() => {
    const list = familyDefs[family];
    if (!Array.isArray(list)) return [];
    const order = familyInfo?.palette ?? [];
    const rank = (s: string) => (order.indexOf(s) < 0 ? order.length : order.indexOf(s));
    return [...list].sort((a, b) => rank(a.step) - rank(b.step));
  }, [familyDefs, family, familyInfo]);

  const definition = useMemo(() => {
    const fam = new Map(paletteDefs.map((d) => [d.step, d]));
    const all = new Map((boot?.allDefs ?? []).map((d) => [d.step, d]));
    return (step: string) => fam.get(step) ?? all.get(step);
  }, [paletteDefs, boot]);

  const problemIndex = useMemo(() => indexProblems(problems), [problems]);
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

  const loadDoc = useCallback(
    (d: WorkflowDoc, mode: Session['mode'], opts: { latestVersion?: number; layout?: boolean } = {}) => {
      const { graph: g0, unplaced } = workflowToGraph(d);
      const g = opts.layout || unplaced.length ? layoutGraph(g0) : g0;
      setHist(createHistory(g));
      setSession({
        mode,
        baseVersion: mode === 'new' ? 0 : (d.version ?? 0),
        latestVersion: opts.latestVersion,
        savedJson: mode === 'new' ? '' : JSON.stringify(graphToWorkflow(g)),
      });
      setProblems([]);
      setCheckedLogic(null);
      setConflict(null);
      setRightTab('node');
      setPendingFit(true);
      window.history.replaceState(null, '', mode === 'new' ? EDITOR_URL : urlFor(d.id, d.version, mode === 'readonly'));
      return g;
    },
    [layoutGraph],
  );

  useEffect(() => {
    // Opened once the family's definitions are in: before, nodes lack their ports and are shorter.
    if (pendingFit && nodesInitialized && defsSettled) {
      openReadable(0.06);
      setPendingFit(false);
    }
  }, [pendingFit, nodesInitialized, defsSettled, openReadable]);

  const guardDirty = useCallback(
    (action: () => void) => {
      if (!dirty) return action();
      setConfirm({
        title: 'Discard unsaved changes?',
        message: `“${graph?.meta.name}” has changes that are not saved. They will be lost.`,
        confirm: 'Discard changes',
        danger: true,
        onConfirm: action,
      });
    },
    [dirty, graph],
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
    const target = parseUrl(window.location.pathname);
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
    onReturn(url.pathname + url.search);
  }, [returnTo, onReturn]);

  // ---- editing ------------------------------------------------------------
  const edit = useCallback((fn: (g: Graph) => Graph, key?: string) => setHist((h) => (h ? record(h, fn(h.present), key) : h)), []);
  const quiet = useCallback((fn: (g: Graph) => Graph) => setHist((h) => (h ? replace(h, fn(h.present)) : h)), []);

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
    (step: string, at?: { x: number; y: number }) => {
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
        const k = graph.nodes.length % 5;
        position = { x: c.x - 110 + k * 24, y: c.y - 50 + k * 24 };
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
      addNode(step, { x: p.x - 110, y: p.y - 30 });
    },
    [rf, addNode],
  );

  const updateNodeData = useCallback(
    (nodeId: string, fn: (d: ModuleNodeData) => ModuleNodeData, key: string) =>
      edit((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === nodeId ? { ...n, data: fn(n.data) } : n)) }), key),
    [edit],
  );

  const doUndo = useCallback(() => setHist((h) => (h ? undo(h) : h)), []);
  const doRedo = useCallback(() => setHist((h) => (h ? redo(h) : h)), []);

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
      setProblems(mapProblems(r.errors, body));
      setCheckedLogic(logicJson(body));
      setStatus(r.valid ? 'Valid: the server found no problems.' : `Invalid: ${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}, listed below.`, r.valid ? 'ok' : 'error');
    } catch (e) {
      setStatus(`Cannot validate: ${(e as Error).message}`, 'error');
    } finally {
      setBusy(false);
    }
  }, [graph, setStatus]);

  const save = useCallback(async () => {
    if (!graph || !session || session.mode === 'readonly') return;
    const body = graphToWorkflow(graph);
    if (session.mode === 'new') delete body.version;
    else body.version = session.baseVersion;
    setBusy(true);
    try {
      const stored = session.mode === 'new' ? await api.create(body) : await api.update(body.id, body);
      setSession({ mode: 'edit', baseVersion: stored.version ?? 0, latestVersion: stored.version, savedJson: JSON.stringify(graphToWorkflow(graph)) });
      setProblems([]);
      setCheckedLogic(logicJson(body));
      setConflict(null);
      window.history.replaceState(null, '', urlFor(stored.id));
      setStatus(`Saved ${stored.id} as version ${stored.version}.`, 'ok');
      if (stored.family && returnTo) setReturnTo((r) => (r ? { ...r, saved: { id: stored.id, version: stored.version ?? 1 } } : r));
      refreshList();
    } catch (e) {
      const f = e as ApiFailure;
      if (f.status === 422) {
        setProblems(mapProblems(f.errors, body));
        setCheckedLogic(logicJson(body));
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
  }, [graph, session, refreshList, setStatus, returnTo]);

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
          setProblems(mapProblems(r.errors, body));
          setCheckedLogic(logicJson(body));
          setStatus(
            r.valid ? `Imported ${body.id}: valid. Save to store it.` : `Imported ${body.id}: ${r.errors.length} problem${r.errors.length > 1 ? 's' : ''}, pinned to the graph.`,
            r.valid ? 'ok' : 'error',
          );
        } catch (e) {
          setStatus(`Imported, but cannot validate: ${(e as Error).message}`, 'error');
        }
      });
    },
    [guardDirty, loadDoc, setStatus],
  );

  const exportDoc = useCallback(() => {
    if (!graph || !session) return;
    const body = graphToWorkflow(graph);
    if (session.mode === 'new') delete body.version;
    else body.version = session.baseVersion;
    const blob = new Blob([JSON.stringify(body, null, 2) + '\n'], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${body.id || 'workflow'}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    setStatus(`Exported ${a.download}.`);
  }, [graph, session, setStatus]);

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
              setHist(null);
              setSession(null);
              window.history.replaceState(null, '', EDITOR_URL);
            }
            setStatus(`Deleted ${id}.`);
            refreshList();
          } catch (e) {
            setStatus(`Cannot delete ${id}: ${(e as Error).message}`, 'error');
          }
        },
      }),
    [graph, session, refreshList, setStatus],
  );

  const selectProblem = useCallback(
    (p: Problem) => {
      const t = p.target;
      if (t.kind === 'node' || t.kind === 'edge') {
        const ids = t.kind === 'node' ? [t.nodeId] : (() => {
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

  // keyboard: undo, redo, save (fields keep their own text undo); not while another view shows
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      const typing = !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const k = e.key.toLowerCase();
      if (k === 's') {
        e.preventDefault();
        save();
      } else if (!typing && !readOnly && k === 'z') {
        e.preventDefault();
        if (e.shiftKey) doRedo();
        else doUndo();
      } else if (!typing && !readOnly && k === 'y') {
        e.preventDefault();
        doRedo();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, save, doUndo, doRedo, readOnly]);

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
  const rfEdges = useMemo(
    () =>
      (graph?.edges ?? []).map((e) => {
        const src = graph!.nodes.find((n) => n.id === e.source);
        const type = src && definition(src.data.step)?.output_contract.find((p) => p.name === e.sourceHandle)?.type;
        const bad = problemIndex.byEdge.has(e.id);
        return {
          ...e,
          className: bad ? 'edge-problem' : undefined,
          style: { stroke: bad ? '#d92d20' : type ? typeColor(type) : '#98a2b3', strokeWidth: bad ? 2.5 : 2 },
        };
      }),
    [graph, definition, problemIndex],
  );

  const selectedNodes = graph?.nodes.filter((n) => n.selected) ?? [];
  const selectedNode = selectedNodes.length === 1 ? selectedNodes[0] : undefined;
  const selectedEdges = graph?.edges.filter((e) => e.selected) ?? [];
  const canUndo = !!hist?.past.length && !readOnly;
  const canRedo = !!hist?.future.length && !readOnly;
  const takenIds = useMemo(() => new Set(workflows.map((w) => w.id)), [workflows]);
  const familyLabel = familyInfo?.label ?? family;

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
      <div className="app">
        <header className="topbar">
          <Brand />
          {nav}
          <div className="topbar-doc">
          {graph && session ? (
            <div className="doc-meta">
              <input
                className="doc-name"
                aria-label="Workflow name"
                value={graph.meta.name}
                disabled={readOnly}
                onChange={(e) => {
                  const name = e.target.value;
                  edit((g) => ({ ...g, meta: { ...g.meta, name } }), 'meta:name');
                }}
                data-testid="doc-name"
              />
              {session.mode === 'new' ? (
                <input
                  className="doc-id mono"
                  aria-label="Workflow id"
                  value={graph.meta.id}
                  onChange={(e) => {
                    const id = e.target.value;
                    edit((g) => ({ ...g, meta: { ...g.meta, id } }), 'meta:id');
                  }}
                  data-testid="doc-id"
                />
              ) : (
                <span className="doc-id-text mono" title="Workflow id">
                  {graph.meta.id}
                </span>
              )}
              <span className="badge badge-family" title={familyInfo?.description}>
                {familyLabel}
              </span>
              <span className={`badge ${readOnly ? 'badge-readonly' : 'badge-version'}`} data-testid="doc-version">
                {session.mode === 'new' ? 'new' : `v${session.baseVersion}${readOnly ? ' · read-only' : ''}`}
              </span>
              {dirty && (
                <span className="unsaved" data-testid="unsaved" title="Unsaved changes">
                  ● unsaved
                </span>
              )}
            </div>
          ) : (
            <div className="doc-meta muted">No workflow open</div>
          )}
          <div className="toolbar" role="toolbar" aria-label="Workflow actions">
            <button type="button" onClick={doUndo} disabled={!canUndo} title="Undo (Ctrl+Z)" data-testid="undo">
              Undo
            </button>
            <button type="button" onClick={doRedo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="redo">
              Redo
            </button>
            <span className="toolbar-sep" />
            <button type="button" onClick={autoLayout} disabled={!graph || readOnly} title="Arrange nodes by topological depth" data-testid="layout">
              Layout
            </button>
            <button type="button" onClick={() => setDialog('import')} title="Import workflow JSON" data-testid="import-open">
              Import
            </button>
            <button type="button" onClick={exportDoc} disabled={!graph} title="Download the workflow JSON" data-testid="export">
              Export
            </button>
            <span className="toolbar-sep" />
            <button type="button" onClick={validate} disabled={!graph || busy} title="Ask the server to validate" data-testid="validate">
              Validate
            </button>
            <button type="button" className="primary" onClick={save} disabled={!graph || readOnly || busy} title="Save a new version (Ctrl+S)" data-testid="save">
              Save
            </button>
          </div>
          </div>
        </header>

        <aside className="sidebar" aria-label="Workflows and modules">
          <div className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={leftTab === 'workflows'} className={leftTab === 'workflows' ? 'active' : ''} onClick={() => setLeftTab('workflows')} data-testid="tab-workflows">
              Workflows
            </button>
            <button type="button" role="tab" aria-selected={leftTab === 'palette'} className={leftTab === 'palette' ? 'active' : ''} onClick={() => setLeftTab('palette')} data-testid="tab-palette">
              Palette
            </button>
          </div>
          <div className="sidebar-body">
            {leftTab === 'workflows' && (
              <WorkflowList
                workflows={workflows}
                families={boot?.families ?? []}
                currentId={session?.mode !== 'new' ? graph?.meta.id : undefined}
                currentVersion={session?.baseVersion}
                onOpen={openWorkflow}
                onDelete={deleteWorkflow}
                onNew={() => setDialog('new')}
                onImport={() => setDialog('import')}
              />
            )}
            {leftTab === 'palette' &&
              (graph ? (
                Array.isArray(familyDefs[family]) ? (
                  <Palette definitions={paletteDefs} familyLabel={familyLabel} blocked={blockedReason} readOnly={readOnly} onAdd={(s) => addNode(s)} />
                ) : (
                  <p className="empty">{familyDefs[family] === 'loading' || !(family in familyDefs) ? 'Loading modules…' : `No modules for family “${family}”: ${familyDefs[family]}`}</p>
                )
              ) : (
                <p className="empty">Open or create a workflow to see the modules of its family.</p>
              ))}
          </div>
        </aside>

        <main className="canvas" ref={canvasRef} onDragOver={(e) => e.dataTransfer.types.includes(STEP_MIME) && e.preventDefault()} onDrop={onDrop}>
          {graph ? (
            <>
              <ReactFlow<FlowNode, FlowEdge>
                colorMode="system"
                nodes={rfNodes}
                edges={rfEdges}
                nodeTypes={nodeTypes}
                onNodesChange={onNodesChange}
                onEdgesChange={onEdgesChange}
                onDelete={onDelete}
                onConnect={onConnect}
                onConnectEnd={onConnectEnd}
                isValidConnection={isValidConnection}
                onNodeDragStart={() => {
                  dragBefore.current = hist?.present ?? null;
                }}
                onNodeDragStop={() => {
                  const before = dragBefore.current;
                  dragBefore.current = null;
                  if (before) setHist((h) => (h ? commitFrom(h, before) : h));
                }}
                onNodeClick={() => setRightTab('node')}
                nodesDraggable={!readOnly}
                nodesConnectable={!readOnly}
                deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
                connectionRadius={28}
                fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
                minZoom={0.2}
                maxZoom={2}
                proOptions={{ hideAttribution: true }}
                aria-label="Workflow graph"
              >
                <Background gap={20} size={1} color="#d0d5dd" />
                <Controls showInteractive={false} position="bottom-left" fitViewOptions={{ padding: 0.2, maxZoom: 1 }} />
                <MiniMap pannable zoomable position="bottom-right" nodeStrokeWidth={2} style={{ width: 150, height: 100 }} />
              </ReactFlow>
              {readOnly && session && (
                <div className="canvas-banner banner-readonly" data-testid="readonly-banner">
                  Version {session.baseVersion} of {graph.meta.id} is read-only{session.latestVersion ? ` (latest is v${session.latestVersion})` : ''}.
                  <button type="button" onClick={() => openWorkflow(graph.meta.id)}>
                    Open latest
                  </button>
                </div>
              )}
              {returnTo && (
                <div className="canvas-banner banner-return" role="status" data-testid="return-banner">
                  {returnTo.saved ? (
                    <span>
                      Saved <strong className="mono">{returnTo.saved.id}</strong> v{returnTo.saved.version}. The output type you were editing can link it now.
                    </span>
                  ) : (
                    <span>This workflow is for an output type. Save it, then go back to link it.</span>
                  )}
                  <span className="banner-actions">
                    <button type="button" className={returnTo.saved ? 'primary' : ''} onClick={goBack} data-testid="return-to-wizard">
                      {returnTo.saved ? `Use ${returnTo.saved.id} v${returnTo.saved.version}` : 'Back without a workflow'}
                    </button>
                  </span>
                </div>
              )}
              {conflict && (
                <div className="canvas-banner banner-conflict" role="alert" data-testid="conflict-banner">
                  <span>
                    <strong>Not saved — version conflict.</strong> {conflict}. Your changes are still here: export them, then open the latest version.
                  </span>
                  <span className="banner-actions">
                    <button type="button" onClick={exportDoc}>
                      Export mine
                    </button>
                    <button type="button" onClick={() => openWorkflow(graph.meta.id)}>
                      Open latest
                    </button>
                  </span>
                </div>
              )}
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
            <StatusLine status={status} ctx={connCtx} />
            <ProblemSummary count={problems.length} checked={checkedLogic !== null} stale={checkedLogic !== null && checkedLogic !== docLogic} />
          </div>
          <ProblemList problems={problems} checked={checkedLogic !== null} stale={checkedLogic !== null && checkedLogic !== docLogic} onSelect={selectProblem} />
        </section>

        <aside className="rightpanel" aria-label="Node and invocation">
          <div className="tabs" role="tablist">
            <button type="button" role="tab" aria-selected={rightTab === 'node'} className={rightTab === 'node' ? 'active' : ''} onClick={() => setRightTab('node')} data-testid="tab-node">
              Node
            </button>
            <button type="button" role="tab" aria-selected={rightTab === 'invocation'} className={rightTab === 'invocation' ? 'active' : ''} onClick={() => setRightTab('invocation')} data-testid="tab-invocation">
              Invocation
              {problemIndex.byInvocation.size > 0 && <span className="badge badge-error">!</span>}
            </button>
          </div>
          <div className="rightpanel-body">
            {!graph && <p className="empty">Nothing open.</p>}
            {graph && rightTab === 'node' && (
              <>
                {selectedNode ? (
                  <NodePanel
                    node={selectedNode}
                    apiPolicySchema={boot?.policySchema}
                    onParams={(id, params, k) => updateNodeData(id, (d) => ({ ...d, params }), `params:${id}:${k}`)}
                    onPolicy={(id, policy, k) => updateNodeData(id, (d) => ({ ...d, policy }), `policy:${id}:${k}`)}
                    onLabel={(id, label) =>
                      updateNodeData(
                        id,
                        (d) => {
                          const { label: _old, ...rest } = d;
                          return label === undefined ? (rest as ModuleNodeData) : { ...rest, label };
                        },
                        `label:${id}`,
                      )
                    }
                  />
                ) : selectedNodes.length > 1 ? (
                  <p className="empty">{selectedNodes.length} nodes selected. Delete removes them; select one to edit it.</p>
                ) : selectedEdges.length ? (
                  <div className="edge-info">
                    {selectedEdges.map((e) => (
                      <div key={e.id} className="mono">
                        {e.source}.{e.sourceHandle} → {e.target}.{e.targetHandle}
                      </div>
                    ))}
                    <p className="muted small">Press Delete to remove the selected edge.</p>
                  </div>
                ) : (
                  <div className="empty">
                    <p>Select a node to edit its settings and policy.</p>
                    <p className="muted small">Drag from an output (right) to an input (left) to connect; only matching port types connect. Delete removes the selection; Ctrl+Z undoes.</p>
                  </div>
                )}
              </>
            )}
            {graph && rightTab === 'invocation' && (
              <>
                <section className="panel-section">
                  <h3>Workflow</h3>
                  <div className="field-row">
                    <label htmlFor="doc-description">Description</label>
                    <textarea
                      id="doc-description"
                      rows={3}
                      value={graph.meta.description ?? ''}
                      disabled={readOnly}
                      onChange={(e) => {
                        const description = e.target.value;
                        edit((g) => ({ ...g, meta: { ...g.meta, description: description || undefined } }), 'meta:description');
                      }}
                    />
                  </div>
                </section>
                <InvocationPanel
                  nodes={graph.nodes}
                  invocation={graph.invocation}
                  family={familyInfo}
                  vocabulary={boot?.vocabulary}
                  selectedNodeId={selectedNode?.id}
                  onChange={(inv: Invocation, key) => edit((g) => ({ ...g, invocation: inv }), key)}
                />
              </>
            )}
          </div>
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
      {dialog === 'import' && <ImportDialog onImport={importDoc} onClose={() => setDialog(null)} />}
      {confirm && <ConfirmDialog req={confirm} onClose={() => setConfirm(null)} />}
    </EditorContext.Provider>
  );
}

/**
 * The editor, the catalog sections and the run view. The editor stays
 * mounted while another section shows, so unsaved work survives a look
 * elsewhere; its tab returns to the URL it had.
 */
export function App() {
  const [route, navigate] = useRoute();
  const editorUrl = useRef(EDITOR_URL);
  const inEditor = route.view === 'editor';
  const section = sectionOf(route);
  useEffect(() => {
    if (inEditor) document.title = 'Prodflow · Workflow editor';
    else if (route.view === 'not-found') document.title = 'Prodflow · Page not found';
  }, [inEditor, route.view]);
  const lists: Record<Exclude<View, 'editor'>, string> = { 'output-types': '/output-types', products: '/products', orders: '/orders', runs: '/runs', settings: '/settings' };
  const go = (view: View) => {
    if (view === section && view === 'editor' && inEditor) return;
    if (inEditor) editorUrl.current = window.location.pathname + window.location.search;
    navigate(view === 'editor' ? editorUrl.current : lists[view]);
  };
  const nav = <NavTabs current={section} hrefs={{ editor: editorUrl.current, ...lists }} onGo={go} />;
  const intent = route.view === 'editor' && route.newFamily ? { family: route.newFamily, returnTo: route.returnTo } : undefined;
  return (
    <>
      <div className="view-host" style={{ display: inEditor ? 'contents' : 'none' }}>
        <ReactFlowProvider>
          <Editor active={inEditor} nav={nav} intent={intent} onReturn={(url) => navigate(url)} />
        </ReactFlowProvider>
      </div>
      {(route.view === 'runs' || route.view === 'run') && <RunsView route={route} navigate={navigate} nav={nav} />}
      {route.view === 'not-found' && <NotFoundPage path={route.path} navigate={navigate} nav={<NavTabs current={undefined} hrefs={{ editor: editorUrl.current, ...lists }} onGo={go} />} />}
      {section !== 'editor' && section !== 'runs' && <CatalogView route={route as CatalogRoute} navigate={navigate} nav={nav} />}
    </>
  );
}
