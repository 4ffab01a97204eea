// Pins validation problems onto what the user sees. Every server problem has
// a JSON pointer into the document the editor sent; /nodes/3/... is the node
// at index 3 of that document and /edges/5/... is edge 5.
import type { ApiError, WorkflowDoc } from './types';
import { edgeIds } from './workflow';

export type ProblemTarget =
  | { kind: 'node'; nodeId: string }
  | { kind: 'edge'; edgeId: string }
  | { kind: 'invocation'; section: 'params' | 'artifacts'; name?: string }
  | { kind: 'workflow' };

export interface Problem extends ApiError {
  target: ProblemTarget;
}

/** RFC 6901: "/a~1b/c~0d" -> ["a/b", "c~d"]. */
export function parsePointer(pointer: string): string[] {
  if (!pointer || pointer === '/') return pointer === '/' ? [''] : [];
  if (!pointer.startsWith('/')) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function index(token: string | undefined, length: number): number | null {
  if (token === undefined || !/^(0|[1-9][0-9]*)$/.test(token)) return null;
  const i = Number(token);
  return i < length ? i : null;
}

export function problemTarget(pointer: string, doc: WorkflowDoc): ProblemTarget {
  const [head, second, third] = parsePointer(pointer);
  if (head === 'nodes') {
    const i = index(second, doc.nodes?.length ?? 0);
    if (i !== null && doc.nodes[i] && typeof doc.nodes[i].id === 'string') return { kind: 'node', nodeId: doc.nodes[i].id };
  } else if (head === 'edges') {
    const edges = doc.edges ?? [];
    const i = index(second, edges.length);
    if (i !== null) return { kind: 'edge', edgeId: edgeIds(edges)[i] };
  } else if (head === 'invocation' && (second === 'params' || second === 'artifacts')) {
    return third === undefined ? { kind: 'invocation', section: second } : { kind: 'invocation', section: second, name: third };
  }
  return { kind: 'workflow' };
}

/** Each server problem with the node, edge or section it belongs to. */
export function mapProblems(errors: readonly ApiError[], doc: WorkflowDoc): Problem[] {
  return errors.map((e) => ({ ...e, target: problemTarget(e.pointer, doc) }));
}

export interface ProblemIndex {
  byNode: Map<string, Problem[]>;
  byEdge: Map<string, Problem[]>;
  byInvocation: Map<string, Problem[]>;
  global: Problem[];
}

export function indexProblems(problems: readonly Problem[]): ProblemIndex {
  const idx: ProblemIndex = { byNode: new Map(), byEdge: new Map(), byInvocation: new Map(), global: [] };
  const add = (m: Map<string, Problem[]>, k: string, p: Problem) => m.set(k, [...(m.get(k) ?? []), p]);
  for (const p of problems) {
    const t = p.target;
    if (t.kind === 'node') add(idx.byNode, t.nodeId, p);
    else if (t.kind === 'edge') add(idx.byEdge, t.edgeId, p);
    else if (t.kind === 'invocation') add(idx.byInvocation, `${t.section}/${t.name ?? ''}`, p);
    else idx.global.push(p);
  }
  return idx;
}

/** Where a problem sits, in words, for the problem list. */
export function describeTarget(t: ProblemTarget): string {
  switch (t.kind) {
    case 'node':
      return `node ${t.nodeId}`;
    case 'edge':
      return `edge ${t.edgeId.replace('->', ' → ')}`;
    case 'invocation':
      return t.name ? `invocation ${t.section === 'params' ? 'param' : 'artifact'} ${t.name}` : `invocation ${t.section}`;
    default:
      return 'workflow';
  }
}
