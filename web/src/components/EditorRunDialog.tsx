// Run the open workflow from the editor. A CAD workflow runs on a product's
// CAD file (the products that have one, by name); an order workflow runs as
// a trial for an order line: an existing one, or a test order placed here
// for a product and output type (marked test, so it stays out of the orders
// and their totals). Either way the workflow's invocation overrides can be
// set for the run. The request names the stored version when the canvas is
// saved, else it sends the canvas; the server's problems are listed with
// where they are.
import { useMemo, useState, type ReactNode } from 'react';
import { api } from '../api';
import { currentParamValues, editorLineRunRequest, editorRunRequest, lineBrings, orderableTypes, orderLineChoices, runnableProducts, runSource, testOrderRequest } from '../editorRun';
import type { EditSession } from '../editorSession';
import type { ApiError, WorkflowDoc } from '../types';
import { useFetched } from '../useFetched';
import { useRunStart } from '../useRunStart';
import { Modal } from './Modal';
import { OverridesFold, ProductSelect, RunDialogActions, RunForm, RunProblems } from './RunDialogParts';

const listProducts = () => api.products();
// Test orders too: a trial may run again on the test order it placed.
const listOrderChoices = () => Promise.all([api.orders('include'), api.products(), api.outputTypes()]).then(([o, p, t]) => ({ orders: o.orders, products: p.products, outputTypes: t.output_types }));

export interface EditorRunDialogProps {
  doc: WorkflowDoc;
  session: EditSession;
  dirty: boolean;
  onStarted: (runId: string) => void;
  /** the server refused the request; errors are all its problems */
  onRefused: (errors: ApiError[]) => void;
  onClose: () => void;
}

export function EditorRunDialog(props: EditorRunDialogProps) {
  const { doc, session, dirty, onClose } = props;
  const saved = session.mode !== 'new' && !dirty;
  const forLine = runSource(doc.family) === 'order_line';
  const what = (
    <p className="muted small" data-testid="editor-run-what">
      {saved ? `Runs the saved v${session.baseVersion}` : 'Runs the workflow as it is on the canvas, unsaved changes included,'}
      {forLine
        ? ' as a trial for the order line: it renders, and its publish and notify nodes only say what they would do. The line itself is not dispatched.'
        : ' on the product’s CAD file.'}
    </p>
  );
  return (
    <Modal title={`Run ${doc.name || doc.id}`} onClose={onClose} testId="editor-run-dialog" wide={forLine}>
      {forLine ? <OrderLineRun {...props} what={what} /> : <ProductRun {...props} what={what} />}
    </Modal>
  );
}

type FormProps = EditorRunDialogProps & { what: ReactNode };

function ProductRun({ doc, session, dirty, onStarted, onRefused, onClose, what }: FormProps) {
  const { data, error } = useFetched(listProducts);
  const products = data ? runnableProducts(data.products) : null;
  const [picked, setPicked] = useState('');
  const [overrides, setOverrides] = useState<Record<string, unknown>>({});
  const run = useRunStart();
  const product = products?.find((p) => p.id === picked) ?? products?.[0];
  const current = useMemo(() => currentParamValues(doc), [doc]);

  const submit = () =>
    run.start(async () => {
      if (!product?.cad_file) return;
      const cad = await api.cadFile(product.cad_file);
      onStarted((await api.startRun(editorRunRequest(doc, session, dirty, product, cad, overrides))).id);
    }, onRefused);

  return (
    <RunForm onSubmit={submit}>
      {error && <p className="notice notice-error">Cannot list products: {error}</p>}
      <ProductSelect id="editor-run-product" products={products} value={product?.id ?? ''} onChange={setPicked} none="No product has a CAD file yet" testId="editor-run-product" />
      <OverridesFold invocation={doc.invocation} current={current} values={overrides} onChange={setOverrides} errors={run.errors} testId="editor-run-overrides" />
      {what}
      <RunProblems message={run.message} errors={run.errors} testId="editor-run-errors" />
      <RunDialogActions onCancel={onClose} disabled={!product} busy={run.busy} testId="editor-run-start" />
    </RunForm>
  );
}

function OrderLineRun({ doc, session, dirty, onStarted, onRefused, onClose, what }: FormProps) {
  const { data, error, reload } = useFetched(listOrderChoices);
  const lines = data ? orderLineChoices(data.orders, data.products, data.outputTypes) : null;
  const products = data ? runnableProducts(data.products) : null;
  const types = data ? orderableTypes(data.outputTypes, doc.family) : null;
  const [source, setSource] = useState<'line' | 'test' | ''>('');
  const [pickedLine, setPickedLine] = useState('');
  const [pickedProduct, setPickedProduct] = useState('');
  const [pickedType, setPickedType] = useState('');
  const [overrides, setOverrides] = useState<Record<string, unknown>>({});
  const run = useRunStart();
  // With no order line yet, a test order is the only way: it is chosen for the user.
  const from = source || (lines && !lines.length ? 'test' : 'line');
  const line = lines?.find((l) => l.id === pickedLine) ?? lines?.[0];
  const product = products?.find((p) => p.id === pickedProduct) ?? products?.[0];
  const type = types?.find((t) => t.key === pickedType) ?? types?.[0];
  const ready = from === 'line' ? !!line : !!product && !!type;
  // The run uses what the line brings (a test order's: its output type's overrides) where the form leaves a parameter alone.
  const lineDoc = data?.orders.flatMap((o) => o.lines).find((l) => l.id === line?.id);
  const current = useMemo(() => currentParamValues(doc, from === 'line' ? lineBrings(lineDoc, data?.outputTypes ?? []) : (type?.overrides ?? {})), [doc, from, lineDoc, data, type]);

  const submit = () =>
    run.start(async () => {
      let lineId = line?.id;
      if (from === 'test') {
        if (!product || !type) return;
        const order = await api.createOrder(testOrderRequest(doc, product.id, type.key));
        lineId = order.lines[0]?.id;
        // The test order exists now: a second try runs on it instead of placing another.
        await reload();
        setPickedLine(lineId ?? '');
        setSource('line');
      }
      if (!lineId) return;
      onStarted((await api.startRun(editorLineRunRequest(doc, session, dirty, lineId, overrides))).id);
    }, onRefused);

  return (
    <RunForm onSubmit={submit}>
      {error && <p className="notice notice-error">Cannot list orders: {error}</p>}
      <fieldset className="run-source">
        <legend>Run it for</legend>
        <label className="radio-line">
          <input type="radio" name="editor-run-source" checked={from === 'line'} onChange={() => setSource('line')} disabled={!lines?.length} data-testid="editor-run-source-line" />
          An existing order line
        </label>
        {from === 'line' && (
          <div className="field-row">
            <label htmlFor="editor-run-line">Order line</label>
            <select id="editor-run-line" value={line?.id ?? ''} onChange={(e) => setPickedLine(e.target.value)} disabled={!lines?.length} data-testid="editor-run-line">
              {!lines && <option value="">Loading…</option>}
              {lines?.map((l) => (
                <option key={l.id} value={l.id}>
                  {l.label}
                </option>
              ))}
            </select>
          </div>
        )}
        <label className="radio-line">
          <input type="radio" name="editor-run-source" checked={from === 'test'} onChange={() => setSource('test')} data-testid="editor-run-source-test" />
          A test order: a product and an output type
        </label>
        {from === 'test' && (
          <>
            <ProductSelect id="editor-run-product" products={products} value={product?.id ?? ''} onChange={setPickedProduct} none="No product has a CAD file yet" testId="editor-run-product" />
            <div className="field-row">
              <label htmlFor="editor-run-type">Output type</label>
              <select id="editor-run-type" value={type?.key ?? ''} onChange={(e) => setPickedType(e.target.value)} disabled={!types?.length} data-testid="editor-run-type">
                {!types && <option value="">Loading…</option>}
                {types && !types.length && <option value="">No output type of this family</option>}
                {types?.map((t) => (
                  <option key={t.key} value={t.key}>
                    {t.name}
                  </option>
                ))}
              </select>
            </div>
            <p className="muted small">Places a test order with one line for the trial to run on: customer “Editor trial”, named after this workflow. Test orders stay out of the orders page and its totals unless shown there.</p>
          </>
        )}
      </fieldset>
      <OverridesFold invocation={doc.invocation} current={current} values={overrides} onChange={setOverrides} errors={run.errors} testId="editor-run-overrides" />
      {what}
      <RunProblems message={run.message} errors={run.errors} testId="editor-run-errors" />
      <RunDialogActions onCancel={onClose} disabled={!ready} busy={run.busy} testId="editor-run-start" />
    </RunForm>
  );
}
