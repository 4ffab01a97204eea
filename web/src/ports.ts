// Port typing: which output may feed which input. Pure functions only, so
// React Flow's isValidConnection and the status line can share them.
import type { NodeDefinition, Port, PortType } from './types';

/** Equal types connect; otherwise the target type's vocabulary entry must accept the source type. */
export function portTypesCompatible(sourceType: string, targetType: string, portTypes: readonly PortType[]): boolean {
  if (sourceType === targetType) return true;
  const target = portTypes.find((t) => t.key === targetType);
  return !!target?.accepts?.includes(sourceType);
}

export interface EdgeLike {
  source: string;
  sourceHandle?: string | null;
  target: string;
  targetHandle?: string | null;
}

export interface NodeLike {
  id: string;
  step: string;
}

export interface ConnectionContext {
  nodes: readonly NodeLike[];
  edges: readonly EdgeLike[];
  definition: (step: string) => NodeDefinition | undefined;
  portTypes: readonly PortType[];
}

export interface Candidate {
  source: string | null;
  sourceHandle?: string | null;
  target: string | null;
  targetHandle?: string | null;
}

function findPort(ports: readonly Port[], name: string | null | undefined): Port | undefined {
  return ports.find((p) => p.name === name);
}

/** True when `from` can reach `to` following edges downstream. */
export function reaches(edges: readonly EdgeLike[], from: string, to: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const e of edges) if (e.source === n) stack.push(e.target);
  }
  return false;
}

/**
 * Why the candidate connection is not allowed, or null when it is.
 * Order: unknown ends, self loop, port types, one edge per input, cycles.
 */
export function connectionProblem(c: Candidate, ctx: ConnectionContext): string | null {
  if (!c.source || !c.target) return 'pick an output and an input';
  const src = ctx.nodes.find((n) => n.id === c.source);
  const dst = ctx.nodes.find((n) => n.id === c.target);
  if (!src || !dst) return 'unknown node';
  const srcDef = ctx.definition(src.step);
  const dstDef = ctx.definition(dst.step);
  if (!srcDef) return `node ${src.id} has an unknown step ${src.step}`;
  if (!dstDef) return `node ${dst.id} has an unknown step ${dst.step}`;
  const out = findPort(srcDef.output_contract, c.sourceHandle);
  const inp = findPort(dstDef.input_contract, c.targetHandle);
  if (!out) return `${src.id} has no output "${c.sourceHandle ?? ''}"`;
  if (!inp) return `${dst.id} has no input "${c.targetHandle ?? ''}"`;
  if (src.id === dst.id) return 'a node cannot feed itself';
  if (!portTypesCompatible(out.type, inp.type, ctx.portTypes)) {
    return `cannot connect ${out.type} → ${inp.type} (${src.id}.${out.name} → ${dst.id}.${inp.name})`;
  }
  const taken = ctx.edges.find((e) => e.target === dst.id && e.targetHandle === inp.name);
  if (taken) return `input ${dst.id}.${inp.name} is already fed by ${taken.source}.${taken.sourceHandle}; an input takes one edge`;
  if (reaches(ctx.edges, dst.id, src.id)) return `connecting ${src.id} → ${dst.id} would make a cycle`;
  return null;
}

/** A short description of a connection that is allowed, for the status line. */
export function connectionSummary(c: Candidate, ctx: ConnectionContext): string {
  const src = ctx.nodes.find((n) => n.id === c.source);
  const dst = ctx.nodes.find((n) => n.id === c.target);
  const out = src && findPort(ctx.definition(src.step)?.output_contract ?? [], c.sourceHandle);
  const inp = dst && findPort(ctx.definition(dst.step)?.input_contract ?? [], c.targetHandle);
  if (!out || !inp) return '';
  return `connect ${out.type} → ${inp.type} (${c.source}.${out.name} → ${c.target}.${inp.name})`;
}

/** The connection a drag from one handle to another would make, whichever end it started from. */
export function candidateOf(
  from: { nodeId: string; id?: string | null; type: 'source' | 'target' },
  to: { nodeId: string; id?: string | null; type: 'source' | 'target' },
): Candidate {
  return from.type === 'source'
    ? { source: from.nodeId, sourceHandle: from.id, target: to.nodeId, targetHandle: to.id }
    : { source: to.nodeId, sourceHandle: to.id, target: from.nodeId, targetHandle: from.id };
}
