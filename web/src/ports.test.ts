import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { candidateOf, connectionProblem, portTypesCompatible, reaches, type ConnectionContext, type EdgeLike } from './ports';
import { definition, portTypes } from './testdata';
import type { Vocabulary } from './types';

describe('portTypesCompatible', () => {
  it('connects equal types', () => {
    expect(portTypesCompatible('glb', 'glb', portTypes)).toBe(true);
  });
  it('refuses different types', () => {
    expect(portTypesCompatible('glb', 'step_file', portTypes)).toBe(false);
    expect(portTypesCompatible('image', 'glb', portTypes)).toBe(false);
  });
  it('lets a generic target take what its vocabulary entry accepts', () => {
    expect(portTypesCompatible('glb', 'artifact', portTypes)).toBe(true);
    expect(portTypesCompatible('image', 'artifact', portTypes)).toBe(true);
    expect(portTypesCompatible('bbox', 'artifact', portTypes)).toBe(false);
  });
  it('is not symmetric: a generic source does not fit a concrete target', () => {
    expect(portTypesCompatible('artifact', 'glb', portTypes)).toBe(false);
  });
  it('refuses an unknown target type unless equal', () => {
    expect(portTypesCompatible('glb', 'nope', portTypes)).toBe(false);
    expect(portTypesCompatible('nope', 'nope', portTypes)).toBe(true);
  });
  it('follows the project vocabulary', () => {
    const vocab = JSON.parse(readFileSync(new URL('../../src/contract/vocabulary.json', import.meta.url), 'utf8')) as Vocabulary;
    const generic = vocab.port_types.find((t) => t.accepts?.length);
    expect(generic).toBeDefined();
    for (const t of generic!.accepts!) expect(portTypesCompatible(t, generic!.key, vocab.port_types)).toBe(true);
    expect(portTypesCompatible('step_file', 'glb', vocab.port_types)).toBe(false);
  });
});

describe('connectionProblem', () => {
  const nodes = [
    { id: 'r', step: 'cad.resolve' },
    { id: 'g', step: 'cad.glb' },
    { id: 'b', step: 'cad.bbox' },
    { id: 't', step: 'render.thumb' },
    { id: 'p', step: 'output.publish' },
    { id: 'x', step: 'unknown.step' },
  ];
  const edges: EdgeLike[] = [
    { source: 'r', sourceHandle: 'step', target: 'g', targetHandle: 'step' },
    { source: 'g', sourceHandle: 'glb', target: 't', targetHandle: 'glb' },
  ];
  const ctx: ConnectionContext = { nodes, edges, definition, portTypes };

  it('allows matching free ports', () => {
    expect(connectionProblem({ source: 'r', sourceHandle: 'step', target: 'b', targetHandle: 'step' }, ctx)).toBeNull();
    expect(connectionProblem({ source: 'b', sourceHandle: 'bbox', target: 't', targetHandle: 'bbox' }, ctx)).toBeNull();
  });
  it('allows a concrete type into a generic input', () => {
    expect(connectionProblem({ source: 't', sourceHandle: 'image', target: 'p', targetHandle: 'artifact' }, ctx)).toBeNull();
  });
  it('names both types when they do not fit', () => {
    expect(connectionProblem({ source: 'g', sourceHandle: 'glb', target: 'b', targetHandle: 'step' }, ctx)).toMatch(/^cannot connect glb → step_file/);
  });
  it('takes one edge per input', () => {
    const glb2 = { ...ctx, nodes: [...nodes, { id: 'g2', step: 'cad.glb' }] };
    expect(connectionProblem({ source: 'g2', sourceHandle: 'glb', target: 't', targetHandle: 'glb' }, glb2)).toMatch(/already fed by g\.glb/);
  });
  it('refuses self loops and cycles', () => {
    expect(connectionProblem({ source: 'g', sourceHandle: 'glb', target: 'g', targetHandle: 'step' }, ctx)).toMatch(/cannot|itself/);
    // publish -> publish, with a vocabulary where artifact also accepts asset_ref
    const loop: ConnectionContext = {
      nodes: [
        { id: 'a', step: 'output.publish' },
        { id: 'c', step: 'output.publish' },
      ],
      edges: [{ source: 'a', sourceHandle: 'asset', target: 'c', targetHandle: 'artifact' }],
      definition,
      portTypes: [{ key: 'asset_ref' }, { key: 'artifact', accepts: ['asset_ref'] }],
    };
    expect(connectionProblem({ source: 'c', sourceHandle: 'asset', target: 'a', targetHandle: 'artifact' }, loop)).toMatch(/cycle/);
  });
  it('refuses unknown nodes, steps and ports', () => {
    expect(connectionProblem({ source: 'zz', sourceHandle: 'step', target: 'g', targetHandle: 'step' }, ctx)).toBe('unknown node');
    expect(connectionProblem({ source: 'x', sourceHandle: 'out', target: 'g', targetHandle: 'step' }, ctx)).toMatch(/unknown step/);
    expect(connectionProblem({ source: 'r', sourceHandle: 'nope', target: 'b', targetHandle: 'step' }, ctx)).toMatch(/no output "nope"/);
    expect(connectionProblem({ source: 'r', sourceHandle: 'step', target: 'b', targetHandle: 'nope' }, ctx)).toMatch(/no input "nope"/);
    expect(connectionProblem({ source: null, target: 'b' }, ctx)).not.toBeNull();
  });
  it('is pure: the context is left as it was', () => {
    const before = JSON.stringify({ nodes, edges });
    connectionProblem({ source: 'r', sourceHandle: 'step', target: 'b', targetHandle: 'step' }, ctx);
    expect(JSON.stringify({ nodes, edges })).toBe(before);
  });
});

describe('reaches', () => {
  it('follows edges downstream only', () => {
    const e = [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'c' },
    ];
    expect(reaches(e, 'a', 'c')).toBe(true);
    expect(reaches(e, 'c', 'a')).toBe(false);
  });
});

describe('candidateOf', () => {
  it('orders a drag from an output or from an input the same way', () => {
    const out = { nodeId: 'a', id: 'glb', type: 'source' as const };
    const inp = { nodeId: 'b', id: 'model', type: 'target' as const };
    const want = { source: 'a', sourceHandle: 'glb', target: 'b', targetHandle: 'model' };
    expect(candidateOf(out, inp)).toEqual(want);
    expect(candidateOf(inp, out)).toEqual(want);
  });
});
