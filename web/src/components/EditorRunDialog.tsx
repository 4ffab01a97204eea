// Run the open workflow for a product: the products with a CAD file, by name.
// The request names the stored version when the canvas is saved, else it
// sends the canvas; the server's problems are listed with where they are.
import { useState } from 'react';
import { api, ApiFailure } from '../api';
import { editorRunRequest, runnableProducts } from '../editorRun';
import type { EditSession } from '../editorSession';
import type { ApiError, WorkflowDoc } from '../types';
import { useFetched } from '../useFetched';
import { pointerWords } from '../words';
import { Modal } from './Modal';

const listProducts = () => api.products();

export interface EditorRunDialogProps {
  doc: WorkflowDoc;
  session: EditSession;
  dirty: boolean;
  onStarted: (runId: string) => void;
  /** the server refused the request; errors are all its problems */
  onRefused: (errors: ApiError[]) => void;
  onClose: () => void;
}

export function EditorRunDialog({ doc, session, dirty, onStarted, onRefused, onClose }: EditorRunDialogProps) {
  const { data, error } = useFetched(listProducts);
  const products = data ? runnableProducts(data.products) : null;
  const [picked, setPicked] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [errors, setErrors] = useState<ApiError[]>([]);
  const product = products?.find((p) => p.id === picked) ?? products?.[0];

  const submit = async () => {
    if (!product?.cad_file) return;
    setBusy(true);
    setMessage('');
    setErrors([]);
    try {
      const cad = await api.cadFile(product.cad_file);
      const accepted = await api.startRun(editorRunRequest(doc, session, dirty, product, cad));
      onStarted(accepted.id);
    } catch (e) {
      const f = e as ApiFailure;
      setMessage(`Not started: ${f.message}`);
      setErrors(f.errors ?? []);
      if (f.errors?.length) onRefused(f.errors);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={`Run ${doc.name || doc.id}`} onClose={onClose} testId="editor-run-dialog">
      <form
        className="dialog-body"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        {error && <p className="notice notice-error">Cannot list products: {error}</p>}
        <div className="field-row">
          <label htmlFor="editor-run-product">Product</label>
          <select id="editor-run-product" value={product?.id ?? ''} onChange={(e) => setPicked(e.target.value)} disabled={!products?.length} data-testid="editor-run-product">
            {!products && <option value="">Loading…</option>}
            {products && !products.length && <option value="">No product has a CAD file yet</option>}
            {products?.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name} · {p.sku}
              </option>
            ))}
          </select>
        </div>
        <p className="muted small" data-testid="editor-run-what">
          {session.mode !== 'new' && !dirty ? `Runs the saved v${session.baseVersion} on the product’s CAD file.` : 'Runs the workflow as it is on the canvas, unsaved changes included, on the product’s CAD file.'}
        </p>
        {(message || errors.length > 0) && (
          <div className="notice notice-error" role="alert" data-testid="editor-run-errors">
            {message && <div className="strong">{message}</div>}
            {errors.length > 0 && (
              <ul className="pointer-errors">
                {errors.map((e, i) => (
                  <li key={i}>
                    <span className="pointer">{pointerWords(e.pointer)}</span> {e.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!product || busy} data-testid="editor-run-start">
            {busy ? 'Starting…' : 'Start run'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
