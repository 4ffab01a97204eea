// Graph <-> workflow JSON. The editor keeps React Flow nodes and edges; the
// server speaks prodflow.workflow/v1 documents. Positions live in node.ui {x, y}.
// Keys this editor does not understand are carried through untouched.
import type { Edge, Node } from '@xyflow/react';
import type { NodeRunInfo } from './runs';
import type { Invocation, WorkflowDoc, WorkflowEdge, WorkflowNode } from './types';

export const WORKFLOW_SCHEMA = 'prodflow.workflow/v1';

export interface ModuleNodeData extends Record<string, unknown> {
  step: string;
  label?: string;
  params: Record<string, unknown>;
  policy?: Record<string, unknown>;
  /** node.ui without x and y */
  ui: Record<string, unknown>;
  /** other node keys, kept for the round trip */
  extra: Record<string, unknown>;
  /** the node's status in a run (the run view only; never saved) */
  run?: NodeRunInfo;
}

export type FlowNode = Node<ModuleNodeData, 'module'>;
export type FlowEdge = Edge;

export interface WorkflowMeta {
  schema: string;
  id: string;
  name: string;
  description?: string;
  family: string;
  version?: number;
  extra: Record<string, unknown>;
}

export interface Graph {
  meta: WorkflowMeta;
  nodes: FlowNode[];
  edges: FlowEdge[];
  invocation: Invocation;
}

const NODE_KEYS = new Set(['id', 'step', 'label', 'params', 'ui', 'policy']);
const DOC_KEYS = new Set(['schema', 'id', 'name', 'description', 'family', 'version', 'nodes', 'edges', 'invocation']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick(o: Record<string, unknown>, skip: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!skip.has(k)) out[k] = v;
  return out;
}

/** The stable id of an edge: "from.node.port->to.node.port". */
export function edgeKey(e: WorkflowEdge): string {
  return `${e.from?.node}.${e.from?.port}->${e.to?.node}.${e.to?.port}`;
}

/** Ids for a document's edges, in order; a repeated edge gets "#2", "#3"… */
export function edgeIds(edges: readonly WorkflowEdge[]): string[] {
  const seen = new Map<string, number>();
  return edges.map((e) => {
    const k = edgeKey(e);
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n === 1 ? k : `${k}#${n}`;
  });
}

export function emptyInvocation(): Invocation {
  return { params: {}, artifacts: {} };
}

export interface ImportedGraph {
  graph: Graph;
  /** ids of nodes that had no ui position */
  unplaced: string[];
}

/** A workflow document as editor state. */
export function workflowToGraph(doc: WorkflowDoc): ImportedGraph {
  const unplaced: string[] = [];
  const nodes: FlowNode[] = (Array.isArray(doc.nodes) ? doc.nodes : []).map((n) => {
    const ui = isObject(n.ui) ? n.ui : {};
    const placed = typeof ui.x === 'number' && typeof ui.y === 'number';
    if (!placed) unplaced.push(String(n.id));
    const { x: _x, y: _y, ...uiRest } = ui;
    const data: ModuleNodeData = {
      step: String(n.step ?? ''),
      params: isObject(n.params) ? { ...n.params } : {},
      ui: uiRest,
      extra: pick(n, NODE_KEYS),
    };
    if (typeof n.label === 'string') data.label = n.label;
    if (isObject(n.policy)) data.policy = { ...n.policy };
    return {
      id: String(n.id),
      type: 'module',
      position: placed ? { x: ui.x as number, y: ui.y as number } : { x: 0, y: 0 },
      data,
    };
  });
  const docEdges = Array.isArray(doc.edges) ? doc.edges : [];
  const ids = edgeIds(docEdges);
  const edges: FlowEdge[] = docEdges.map((e, i) => ({
    id: ids[i],
    source: String(e.from?.node ?? ''),
    sourceHandle: String(e.from?.port ?? ''),
    target: String(e.to?.node ?? ''),
    targetHandle: String(e.to?.port ?? ''),
  }));
  const inv = isObject(doc.invocation) ? doc.invocation : undefined;
  const invocation: Invocation = {
    params: isObject(inv?.params) ? { ...(inv!.params as Invocation['params']) } : {},
    artifacts: isObject(inv?.artifacts) ? { ...(inv!.artifacts as Invocation['artifacts']) } : {},
  };
  const meta: WorkflowMeta = {
    schema: typeof doc.schema === 'string' ? doc.schema : WORKFLOW_SCHEMA,
    id: String(doc.id ?? ''),
    name: String(doc.name ?? ''),
    family: String(doc.family ?? ''),
    extra: pick(doc, DOC_KEYS),
  };
  if (typeof doc.description === 'string') meta.description = doc.description;
  if (typeof doc.version === 'number') meta.version = doc.version;
  return { graph: { meta, nodes, edges, invocation }, unplaced };
}

/** Editor state as a workflow document, nodes and edges in editor order. */
export function graphToWorkflow(graph: Graph): WorkflowDoc {
  const { meta } = graph;
  const nodes: WorkflowNode[] = graph.nodes.map((n) => {
    const out: WorkflowNode = { id: n.id, step: n.data.step };
    if (n.data.label !== undefined) out.label = n.data.label;
    out.params = { ...n.data.params };
    out.ui = { ...n.data.ui, x: Math.round(n.position.x), y: Math.round(n.position.y) };
    if (n.data.policy !== undefined) out.policy = { ...n.data.policy };
    return { ...out, ...n.data.extra };
  });
  const edges: WorkflowEdge[] = graph.edges.map((e) => ({
    from: { node: e.source, port: e.sourceHandle ?? '' },
    to: { node: e.target, port: e.targetHandle ?? '' },
  }));
  const doc: WorkflowDoc = { schema: meta.schema, id: meta.id, name: meta.name, family: meta.family, nodes, edges };
  const ordered: WorkflowDoc = {
    schema: doc.schema,
    id: doc.id,
    name: doc.name,
    ...(meta.description !== undefined ? { description: meta.description } : {}),
    family: doc.family,
    ...(meta.version !== undefined ? { version: meta.version } : {}),
    nodes,
    edges,
    invocation: { params: { ...graph.invocation.params }, artifacts: { ...graph.invocation.artifacts } },
    ...meta.extra,
  };
  return ordered;
}

/** A fresh node id for a step: its verb, then _2, _3… when taken. */
export function newNodeId(step: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const verb = step.includes('.') ? step.slice(step.indexOf('.') + 1) : step;
  let base = verb.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  if (!base) base = 'node';
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** A workflow id suggestion from a name: lower case, digits, '-'. */
export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

/** Drops invocation targets and artifact sources that point at removed nodes. */
export function pruneInvocation(inv: Invocation, removed: ReadonlySet<string>): Invocation {
  if (removed.size === 0) return inv;
  const nodeOf = (ref: string) => ref.split('.')[0];
  const params: Invocation['params'] = {};
  for (const [name, p] of Object.entries(inv.params)) {
    const targets = (p.targets ?? []).filter((t) => !removed.has(nodeOf(t)));
    if (targets.length) params[name] = { ...p, targets };
  }
  const artifacts: Invocation['artifacts'] = {};
  for (const [role, a] of Object.entries(inv.artifacts)) if (!removed.has(nodeOf(a.from ?? ''))) artifacts[role] = a;
  return { params, artifacts };
}

/** The ports a node's edges use, for nodes whose step has no known contract. */
export function portsUsed(nodeId: string, edges: readonly FlowEdge[]): { inputs: string[]; outputs: string[] } {
  const inputs = new Set<string>();
  const outputs = new Set<string>();
  for (const e of edges) {
    if (e.target === nodeId && e.targetHandle) inputs.add(e.targetHandle);
    if (e.source === nodeId && e.sourceHandle) outputs.add(e.sourceHandle);
  }
  return { inputs: [...inputs], outputs: [...outputs] };
}
