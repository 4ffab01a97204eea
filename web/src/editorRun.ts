// Running the open workflow from the editor, pure: what can feed it (a
// product's CAD file for a CAD workflow, an order line for an order
// workflow), the run request, and the run's state laid over the editor's own
// nodes (status, progress, an image output) so the canvas shows it live.
import { nodeImages, notSentReason } from './deliverables';
import { humanize } from './params';
import type { EditSession } from './editorSession';
import { nodeRunInfo, type NodeRunInfo } from './runs';
import type { ApiError, CadFile, Invocation, JSONSchema, Order, OrderLine, OutputType, Product, RunDetail, RunRequest, WorkflowDoc } from './types';
import { orderTitle, statusLabel } from './words';
import type { FlowNode } from './workflow';

/** What a run from the editor starts from, by the workflow's family: a product's CAD file, or an order line. */
export type RunSource = 'product' | 'order_line';
const SOURCES: Record<string, RunSource> = { cad_file: 'product', order_line: 'order_line' };

/** What the open workflow's runs start from, or undefined when the editor cannot run it. */
export function runSource(family: string): RunSource | undefined {
  return SOURCES[family];
}

/** Why the open workflow cannot be run from the editor, or undefined when it can. */
export function runBlocked(family: string, familyLabel: string, hasGraph: boolean): string | undefined {
  if (!hasGraph) return 'no workflow is open';
  if (!runSource(family)) return `a ${familyLabel} workflow cannot be run from the editor`;
  return undefined;
}

/** Products that can feed a run (they have a CAD file), by name. */
export function runnableProducts(products: readonly Product[]): Product[] {
  return products.filter((p) => !!p.cad_file).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** The workflow a run from the editor names: the stored version when what is open is saved and unchanged, else the canvas. */
function runWorkflow(doc: WorkflowDoc, session: EditSession, dirty: boolean): RunRequest['workflow'] {
  const stored = session.mode !== 'new' && !dirty;
  return stored ? { id: doc.id, version: session.baseVersion } : (({ version: _v, ...rest }) => rest)(doc);
}

/**
 * The form for a run's invocation overrides: each parameter the open
 * workflow declares, with its own schema (title, bounds), as the
 * output-type wizard shows them for a stored version; the canvas may be
 * unsaved, so it is built here from the document. A parameter's default is
 * what the run uses when the form leaves it alone (`current`, see
 * currentParamValues), else the one it declares.
 */
export function overridesSchema(invocation: Invocation | undefined, current: Record<string, unknown> = {}): JSONSchema {
  const props = Object.fromEntries(
    Object.entries(invocation?.params ?? {}).map(([name, p]) => [name, { title: humanize(name), ...(p.schema ?? {}), ...(current[name] !== undefined ? { default: current[name] } : {}) }]),
  );
  return { type: 'object', properties: props, additionalProperties: false };
}

/**
 * What each of the workflow's parameters is when a run does not override
 * it, as the server resolves it: the value the run's order line brings
 * (`brought`: its output type's overrides, then its own), else the value
 * the parameter's first target node holds on the canvas. A parameter with
 * neither is left out (the node's module default applies).
 */
export function currentParamValues(doc: WorkflowDoc, brought: Record<string, unknown> = {}): Record<string, unknown> {
  const nodes = new Map(doc.nodes.map((n) => [n.id, n]));
  return Object.fromEntries(
    Object.entries(doc.invocation?.params ?? {}).flatMap(([name, p]) => {
      if (brought[name] !== undefined) return [[name, brought[name]]];
      const [nodeId, param] = (p.targets?.[0] ?? '').split('.');
      const value = (nodes.get(nodeId)?.params as Record<string, unknown> | undefined)?.[param];
      return value !== undefined ? [[name, value]] : [];
    }),
  );
}

/** What an order line brings to a run of it: its output type's overrides, its own on top. */
export function lineBrings(line: OrderLine | undefined, outputTypes: readonly OutputType[]): Record<string, unknown> {
  if (!line) return {};
  const type = outputTypes.find((t) => t.key === line.output_type);
  return { ...(type?.overrides ?? {}), ...(line.overrides ?? {}) };
}

/** The overrides to send: those the workflow still has a parameter for (an edit may have taken one away since they were set). */
export function keptOverrides(values: Record<string, unknown>, invocation: Invocation | undefined): Record<string, unknown> {
  const params = invocation?.params ?? {};
  return Object.fromEntries(Object.entries(values).filter(([k, v]) => k in params && v !== undefined));
}

/** The request with the overrides, when there are any (none: the field is left out). */
function withOverrides<T extends object>(request: T, overrides: Record<string, unknown>): T & { overrides?: Record<string, unknown> } {
  return Object.keys(overrides).length ? { ...request, overrides } : request;
}

/** An order line offered to run an order workflow against: its words, never its id alone. */
export interface LineChoice {
  id: string;
  label: string;
}

/**
 * The order lines an order workflow can run against, newest order first:
 * "order title · product · output type (status)" with names where the
 * lists have them; a test order's say so first (a long label is cut at its end).
 */
export function orderLineChoices(orders: readonly Order[], products: readonly Product[], outputTypes: readonly OutputType[]): LineChoice[] {
  const productName = new Map(products.map((p) => [p.id, p.name]));
  const typeName = new Map(outputTypes.map((t) => [t.key, t.name]));
  return orders.flatMap((o) =>
    o.lines.map((l, i) => ({
      id: l.id,
      label: `${o.test ? 'Test order · ' : ''}${orderTitle(o)}${o.lines.length > 1 ? `, line ${i + 1}` : ''} · ${productName.get(l.product) ?? l.product} · ${typeName.get(l.output_type) ?? l.output_type} (${statusLabel(l.status)})`,
    })),
  );
}

/** The output types a test order for this family can be placed with, by name. */
export function orderableTypes(outputTypes: readonly OutputType[], family: string): OutputType[] {
  return outputTypes.filter((t) => t.family === family).sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
}

/**
 * The run request for the open order workflow and an order line: the line
 * is the subject and the server builds the context from it as dispatch
 * would. A trial, so a shadow (the server asks for both flags): publish and
 * notify only say what they would do, and the line's own status and runs
 * stay as they are. The server applies what the line brings (its output
 * type's overrides and its own) as dispatch would; the dialog's overrides,
 * for the open workflow's parameters, go on top.
 */
export function editorLineRunRequest(doc: WorkflowDoc, session: EditSession, dirty: boolean, lineId: string, overrides: Record<string, unknown> = {}): RunRequest & { subject: unknown } {
  return withOverrides({ workflow: runWorkflow(doc, session, dirty), subject: { order_line: lineId, mode: 'shadow', from: 'editor' }, shadow: true }, keptOverrides(overrides, doc.invocation));
}

/** The test order a trial runs on when no line is picked: one line, marked test so it stays out of the orders and their totals. */
export function testOrderRequest(doc: WorkflowDoc, productId: string, outputType: string): { customer: string; reference: string; test: true; lines: { product: string; output_type: string }[] } {
  return { customer: 'Editor trial', reference: doc.name || doc.id, test: true, lines: [{ product: productId, output_type: outputType }] };
}

/**
 * The run request for the open workflow and a product's CAD file: the stored
 * version when what is open is saved and unchanged, else the document as it
 * is on the canvas (the server validates it as it would a stored one).
 */
export function editorRunRequest(doc: WorkflowDoc, session: EditSession, dirty: boolean, product: Product, cad: CadFile, overrides: Record<string, unknown> = {}): RunRequest & { subject: unknown } {
  return withOverrides(
    {
      workflow: runWorkflow(doc, session, dirty),
      context: { step_path: cad.path ?? '', cad_file_id: cad.id, product_id: product.id },
      subject: { product: product.id, cad_file: cad.id },
    },
    keptOverrides(overrides, doc.invocation),
  );
}

/** What a node shows of a run: status and progress, its first image output once it succeeded, a notify that sent nothing. */
export function nodeRunView(run: RunDetail, nodeId: string): NodeRunInfo {
  const node = run.nodes?.[nodeId];
  const info = nodeRunInfo(node);
  if (info.status !== 'succeeded') return info;
  const preview = nodeImages(nodeId, node?.state)[0]?.url;
  const notSent = notSentReason(node?.state);
  return { ...info, ...(preview ? { preview } : {}), ...(notSent ? { notSent } : {}) };
}

/** The nodes of a run to bring into view: those running now, else those that failed. */
export function runFocus(run: RunDetail): string[] {
  const nodes = Object.entries(run.nodes ?? {});
  const running = nodes.filter(([, n]) => n.status === 'running').map(([id]) => id);
  return running.length ? running : nodes.filter(([, n]) => n.status === 'failed').map(([id]) => id);
}

/** The editor's nodes with the run laid over them; nodes the run does not have (added since) stay as they are. */
export function overlayRun(nodes: FlowNode[], run: RunDetail | null): FlowNode[] {
  if (!run) return nodes;
  const inRun = new Set(run.doc?.workflow?.nodes?.map((n) => n.id) ?? Object.keys(run.nodes ?? {}));
  return nodes.map((n) => (inRun.has(n.id) ? { ...n, data: { ...n.data, run: nodeRunView(run, n.id) } } : n));
}

/** The problems a refused run request has with the workflow itself, as pointers into the workflow (for the canvas). */
export function workflowErrors(errors: readonly ApiError[]): ApiError[] {
  return errors.filter((e) => e.pointer === '/workflow' || e.pointer.startsWith('/workflow/')).map((e) => ({ ...e, pointer: e.pointer.slice('/workflow'.length) }));
}
