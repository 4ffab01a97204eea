// Running the open workflow from the editor, pure: which products can feed
// it, the run request for one, and the run's state laid over the editor's
// own nodes (status, progress, an image output) so the canvas shows it live.
import { nodeImages, notSentReason } from './deliverables';
import type { EditSession } from './editorSession';
import { nodeRunInfo, type NodeRunInfo } from './runs';
import type { ApiError, CadFile, Product, RunDetail, RunRequest, WorkflowDoc } from './types';
import type { FlowNode } from './workflow';

/** The families whose runs start from a product's CAD file. */
const PRODUCT_FAMILIES = new Set(['cad_file']);

/** Why the open workflow cannot be run from the editor with a product, or undefined when it can. */
export function runBlocked(family: string, familyLabel: string, hasGraph: boolean): string | undefined {
  if (!hasGraph) return 'no workflow is open';
  if (!PRODUCT_FAMILIES.has(family)) return `a ${familyLabel} workflow runs for an order line: order the product to run it`;
  return undefined;
}

/** Products that can feed a run (they have a CAD file), by name. */
export function runnableProducts(products: readonly Product[]): Product[] {
  return products.filter((p) => !!p.cad_file).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/**
 * The run request for the open workflow and a product's CAD file: the stored
 * version when what is open is saved and unchanged, else the document as it
 * is on the canvas (the server validates it as it would a stored one).
 */
export function editorRunRequest(doc: WorkflowDoc, session: EditSession, dirty: boolean, product: Product, cad: CadFile): RunRequest & { subject: unknown } {
  const stored = session.mode !== 'new' && !dirty;
  const workflow: RunRequest['workflow'] = stored ? { id: doc.id, version: session.baseVersion } : (({ version: _v, ...rest }) => rest)(doc);
  return {
    workflow,
    context: { step_path: cad.path ?? '', cad_file_id: cad.id, product_id: product.id },
    subject: { product: product.id, cad_file: cad.id },
  };
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
