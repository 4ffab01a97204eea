import { describe, expect, it } from 'vitest';
import {
  currentParamValues,
  editorLineRunRequest,
  editorRunRequest,
  keptOverrides,
  lineBrings,
  nodeRunView,
  orderableTypes,
  orderLineChoices,
  overlayRun,
  overridesSchema,
  runBlocked,
  runFocus,
  runnableProducts,
  runSource,
  testOrderRequest,
  workflowErrors,
} from './editorRun';
import type { EditSession } from './editorSession';
import type { CadFile, Order, OrderLine, OutputType, Product, RunDetail, WorkflowDoc } from './types';
import type { FlowNode } from './workflow';

const product = (id: string, name: string, cad: string | null): Product => ({ id, name, sku: id, category: 'c', cad_file: cad });
const doc: WorkflowDoc = {
  schema: 'prodflow.workflow/v1',
  id: 'w',
  name: 'W',
  family: 'cad_file',
  version: 4,
  nodes: [{ id: 'resolve', step: 'cad.resolve_step_path', params: {} }],
  edges: [],
  invocation: { params: {}, artifacts: {} },
};
const cad: CadFile = { id: 'abc', sha256: 'abc', size: 1, path: 'cad/abc.step', intake_run_id: 'run_abc' };
const node = (id: string): FlowNode => ({ id, type: 'module', position: { x: 0, y: 0 }, data: { step: 's', params: {}, ui: {}, extra: {} } });

describe('runBlocked', () => {
  it('runs a CAD workflow with a product and an order workflow for an order line, says why not otherwise', () => {
    expect(runBlocked('cad_file', 'CAD Intake', true)).toBeUndefined();
    expect(runBlocked('order_line', 'Order Rendering', true)).toBeUndefined();
    expect(runBlocked('cad_file', 'CAD Intake', false)).toBe('no workflow is open');
    expect(runBlocked('mystery', 'Mystery', true)).toBe('a Mystery workflow cannot be run from the editor');
    expect(runSource('cad_file')).toBe('product');
    expect(runSource('order_line')).toBe('order_line');
    expect(runSource('mystery')).toBeUndefined();
  });
});

describe('order lines to run an order workflow for', () => {
  const type = (key: string, name: string, family = 'order_line') => ({ key, name, family }) as OutputType;
  const line = (id: string, product: string, output_type: string, status: 'new' | 'delivered' = 'new') => ({ id, product, output_type, status, quantity: 1, overrides: {}, runs: [] });
  const orders = [
    { id: 'o2', reference: 'PO-7', customer: 'ACME', lines: [line('l3', 'p1', 'still'), line('l4', 'gone', 'turn', 'delivered')] },
    { id: 'o1', customer: 'Bob', lines: [line('l1', 'p1', 'still')] },
  ] as Order[];
  it('names each line by its order, product and output type, in the order given', () => {
    const got = orderLineChoices(orders, [product('p1', 'Gearbox', 'x')], [type('still', 'Studio still')]);
    expect(got).toEqual([
      { id: 'l3', label: 'PO-7 · ACME, line 1 · Gearbox · Studio still (New)' },
      { id: 'l4', label: 'PO-7 · ACME, line 2 · gone · turn (Delivered)' },
      { id: 'l1', label: 'Order for Bob · Gearbox · Studio still (New)' },
    ]);
  });
  it('offers the output types of the workflow’s family, by name', () => {
    const got = orderableTypes([type('b', 'Turntable'), type('x', 'Intake', 'cad_file'), type('a', 'Still')], 'order_line');
    expect(got.map((t) => t.key)).toEqual(['a', 'b']);
  });
  it('places the trial’s order as a test order, and says so where its lines are offered', () => {
    const got = orderLineChoices([{ ...orders[1], id: 'o3', test: true } as Order], [], []);
    expect(got[0].label).toBe('Test order · Order for Bob · p1 · still (New)');
    expect(testOrderRequest({ ...doc, name: 'Trial' }, 'p1', 'still')).toEqual({ customer: 'Editor trial', reference: 'Trial', test: true, lines: [{ product: 'p1', output_type: 'still' }] });
  });
  it('asks for a trial with the overrides the workflow has parameters for', () => {
    const orderDoc = { ...doc, family: 'order_line', invocation: { params: { width: { schema: { type: 'integer', default: 1920 }, targets: ['still.width'] } }, artifacts: {} } };
    const r = editorLineRunRequest(orderDoc, { mode: 'edit', baseVersion: 2, savedJson: '' }, false, 'l3', { width: 64, gone: 1 });
    expect(r.overrides).toEqual({ width: 64 });
    expect('overrides' in editorLineRunRequest(orderDoc, { mode: 'edit', baseVersion: 2, savedJson: '' }, false, 'l3', { gone: 1 })).toBe(false);
  });
  it('asks for a trial: the line as subject, no context, a shadow', () => {
    const orderDoc = { ...doc, family: 'order_line' };
    const r = editorLineRunRequest(orderDoc, { mode: 'edit', baseVersion: 2, savedJson: '' }, false, 'l3');
    expect(r).toEqual({ workflow: { id: 'w', version: 2 }, subject: { order_line: 'l3', mode: 'shadow', from: 'editor' }, shadow: true });
    expect('context' in r).toBe(false);
    const unsaved = editorLineRunRequest(orderDoc, { mode: 'new', baseVersion: 0, savedJson: '' }, false, 'l3');
    expect((unsaved.workflow as WorkflowDoc).family).toBe('order_line');
  });
});

describe('the run’s overrides form', () => {
  const inv = {
    params: {
      width: { schema: { type: 'integer', minimum: 16, default: 1920, title: 'Width (px)' }, targets: ['still.width'] },
      seed_value: { schema: { type: 'integer' }, targets: ['still.seed'] },
    },
    artifacts: {},
  };
  it('has a field per invocation parameter, with its schema and a title in words', () => {
    const s = overridesSchema(inv);
    expect(s).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { width: { type: 'integer', minimum: 16, default: 1920, title: 'Width (px)' }, seed_value: { type: 'integer', title: 'Seed value' } },
    });
    expect(overridesSchema(undefined)).toEqual({ type: 'object', properties: {}, additionalProperties: false });
  });
  it('shows as each default what the run uses when the field is left alone', () => {
    const s = overridesSchema(inv, { width: 640 });
    const props = s.properties as Record<string, unknown>;
    expect(props.width).toEqual({ type: 'integer', minimum: 16, default: 640, title: 'Width (px)' });
    expect(props.seed_value).toEqual({ type: 'integer', title: 'Seed value' });
  });
  it('takes what a parameter is from the line, else from the node it targets', () => {
    const still: WorkflowDoc = {
      ...doc,
      family: 'order_line',
      nodes: [{ id: 'still', step: 'render.blender_still', params: { width: 800, seed: 3 } }],
      invocation: { ...inv, params: { ...inv.params, height: { schema: { type: 'integer', default: 1080 }, targets: ['still.height'] } } },
    };
    // The node's own values; height, which the node leaves to its module, is not claimed.
    expect(currentParamValues(still)).toEqual({ width: 800, seed_value: 3 });
    // A line brings its output type's overrides, its own on top; they win over the node's.
    const types = [{ key: 'small', overrides: { width: 96, height: 72 } } as unknown as OutputType];
    const line = { id: 'l', output_type: 'small', overrides: { height: 48 } } as unknown as OrderLine;
    expect(lineBrings(line, types)).toEqual({ width: 96, height: 48 });
    expect(currentParamValues(still, lineBrings(line, types))).toEqual({ width: 96, height: 48, seed_value: 3 });
    expect(lineBrings(undefined, types)).toEqual({});
  });
  it('sends only the overrides the workflow still has a parameter for', () => {
    expect(keptOverrides({ width: 64, gone: 1, seed_value: undefined }, inv)).toEqual({ width: 64 });
    expect(keptOverrides({ width: 64 }, undefined)).toEqual({});
  });
});

describe('runnableProducts', () => {
  it('keeps products with a CAD file, by name', () => {
    const got = runnableProducts([product('b', 'Bolt', 'x'), product('n', 'Nothing', null), product('a', 'Axle', 'y')]);
    expect(got.map((p) => p.id)).toEqual(['a', 'b']);
  });
});

describe('editorRunRequest', () => {
  const edit: EditSession = { mode: 'edit', baseVersion: 3, savedJson: '' };
  it('names the stored version when nothing changed', () => {
    const r = editorRunRequest(doc, edit, false, product('p1', 'Gearbox', 'abc'), cad);
    expect(r.workflow).toEqual({ id: 'w', version: 3 });
    expect(r.context).toEqual({ step_path: 'cad/abc.step', cad_file_id: 'abc', product_id: 'p1' });
    expect(r.subject).toEqual({ product: 'p1', cad_file: 'abc' });
  });
  it('sends the canvas when changed or never saved', () => {
    for (const [s, dirty] of [
      [edit, true],
      [{ ...edit, mode: 'new' as const }, false],
    ] as const) {
      const r = editorRunRequest(doc, s, dirty, product('p1', 'Gearbox', 'abc'), cad);
      expect((r.workflow as WorkflowDoc).nodes).toEqual(doc.nodes);
      expect('version' in r.workflow).toBe(false);
    }
  });
  it('sends the overrides set for the run', () => {
    const withParam = { ...doc, invocation: { params: { deflection: { schema: { type: 'number', default: 0.1 }, targets: ['glb.linear_deflection'] } }, artifacts: {} } };
    expect(editorRunRequest(withParam, edit, false, product('p1', 'Gearbox', 'abc'), cad, { deflection: 0.25 }).overrides).toEqual({ deflection: 0.25 });
    expect('overrides' in editorRunRequest(withParam, edit, false, product('p1', 'Gearbox', 'abc'), cad)).toBe(false);
  });
});

describe('overlayRun', () => {
  const run: RunDetail = {
    id: 'r',
    status: 'running',
    workflow_id: 'w',
    family: 'cad_file',
    doc: { workflow: { ...doc, nodes: [...doc.nodes, { id: 'img', step: 'x', params: {} }] } },
    nodes: {
      resolve: { status: 'succeeded', state: {} },
      img: { status: 'succeeded', state: { outputs: { image: { artifact_id: 'art1', media_type: 'image/png' } } } },
    },
  } as unknown as RunDetail;
  it('lays statuses and images over the nodes the run has, leaves new ones alone', () => {
    const out = overlayRun([node('resolve'), node('img'), node('added')], run);
    expect(out[0].data.run?.status).toBe('succeeded');
    expect(out[1].data.run?.preview).toBe('/api/artifacts/art1');
    expect(out[2].data.run).toBeUndefined();
  });
  it('is the nodes themselves without a run', () => {
    const nodes = [node('a')];
    expect(overlayRun(nodes, null)).toBe(nodes);
  });
  it('brings the running nodes into view, else the failed ones', () => {
    const at = (nodes: Record<string, string>) => ({ nodes: Object.fromEntries(Object.entries(nodes).map(([id, status]) => [id, { status, state: {} }])) }) as unknown as RunDetail;
    expect(runFocus(at({ a: 'succeeded', b: 'running', c: 'running' }))).toEqual(['b', 'c']);
    expect(runFocus(at({ a: 'succeeded', b: 'failed' }))).toEqual(['b']);
    expect(runFocus(at({ a: 'succeeded' }))).toEqual([]);
  });
  it('shows a pending node without preview', () => {
    expect(nodeRunView(run, 'missing')).toEqual({ status: 'pending' });
  });
});

describe('workflowErrors', () => {
  it('keeps the workflow’s problems, pointing into the workflow', () => {
    const errs = [
      { code: 'x', pointer: '/workflow/nodes/2/params/width', message: 'too wide' },
      { code: 'y', pointer: '/context/step_path', message: 'missing' },
      { code: 'z', pointer: '/workflowish', message: 'not ours' },
    ];
    expect(workflowErrors(errs)).toEqual([{ code: 'x', pointer: '/nodes/2/params/width', message: 'too wide' }]);
  });
});
