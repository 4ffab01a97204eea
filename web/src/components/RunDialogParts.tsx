// The parts the run dialogs share (the editor's run and "Start a run"): the
// form, a product picker by name, the run's invocation overrides as a form,
// the server's problems with where they are, and the Cancel / Start buttons.
import { useMemo, useState, type ReactNode } from 'react';
import { keptOverrides, overridesSchema } from '../editorRun';
import { parsePointer } from '../problems';
import type { ApiError, Invocation, Product } from '../types';
import { errorTree } from '../wizard';
import { pointerWords } from '../words';
import { ParamForm } from './ParamForm';

/** The dialog's form: Enter or the submit button starts, the page stays. */
export function RunForm({ onSubmit, children }: { onSubmit: () => void; children: ReactNode }) {
  return (
    <form
      className="dialog-body"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}

export interface ProductSelectProps {
  id: string;
  label?: string;
  /** null while loading */
  products: readonly Product[] | null;
  value: string;
  onChange: (id: string) => void;
  /** what the select says when no product fits */
  none: string;
  testId: string;
}

/** Products by name and SKU; a product's id or file is never shown. */
export function ProductSelect({ id, label = 'Product', products, value, onChange, none, testId }: ProductSelectProps) {
  return (
    <div className="field-row">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)} disabled={!products?.length} data-testid={testId}>
        {!products && <option value="">Loading…</option>}
        {products && !products.length && <option value="">{none}</option>}
        {products?.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name} · {p.sku}
          </option>
        ))}
      </select>
    </div>
  );
}

export interface RunProblemsProps {
  message: string;
  errors: readonly ApiError[];
  testId: string;
  /** show pointers as sent (the request was typed as JSON) instead of in words */
  rawPointers?: boolean;
}

/** Why a run did not start: the headline and each problem with where it is (the pointer in words, kept as a tooltip). */
export function RunProblems({ message, errors, testId, rawPointers }: RunProblemsProps) {
  if (!message && !errors.length) return null;
  return (
    <div className="notice notice-error" role="alert" data-testid={testId}>
      {message && <div className="strong">{message}</div>}
      {errors.length > 0 && (
        <ul className="pointer-errors">
          {errors.map((e, i) => (
            <li key={i}>
              {rawPointers ? (
                <span className="mono pointer">{e.pointer || '/'}</span>
              ) : (
                <span className="pointer" title={e.pointer || '/'}>
                  {pointerWords(e.pointer)}
                </span>
              )}{' '}
              {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Cancel and the submit button, which says it is starting while busy. */
export function RunDialogActions({ onCancel, disabled, busy, testId }: { onCancel: () => void; disabled: boolean; busy: boolean; testId: string }) {
  return (
    <div className="dialog-actions">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="primary" disabled={disabled || busy} data-testid={testId}>
        {busy ? 'Starting…' : 'Start run'}
      </button>
    </div>
  );
}

export interface OverridesFoldProps {
  /** the open workflow's invocation contract: its parameters are the form's fields */
  invocation: Invocation | undefined;
  /** what each parameter is when left alone (editorRun's currentParamValues): the fields' defaults */
  current?: Record<string, unknown>;
  values: Record<string, unknown>;
  onChange: (values: Record<string, unknown>) => void;
  /** the server's problems; those under /overrides are pinned on their fields */
  errors: readonly ApiError[];
  testId: string;
}

/**
 * The run's invocation overrides, folded away until asked for (most runs take
 * the defaults): one field per parameter with its default, as the output-type
 * wizard's overrides step shows them; the fold says how many are set, and
 * opens by itself on a refused one.
 */
export function OverridesFold({ invocation, current, values, onChange, errors, testId }: OverridesFoldProps) {
  const [unfolded, setOpen] = useState(false);
  // A refused override unfolds the form, where its problem is pinned.
  const open = unfolded || errors.some((e) => e.pointer.startsWith('/overrides/'));
  const schema = useMemo(() => overridesSchema(invocation, current), [invocation, current]);
  const pinned = useMemo(() => errorTree(errors.map((e) => ({ path: parsePointer(e.pointer), message: e.message })), ['overrides']), [errors]);
  const set = Object.keys(keptOverrides(values, invocation)).length;
  if (!Object.keys(invocation?.params ?? {}).length) {
    return (
      <p className="muted small" data-testid={testId}>
        This workflow takes no invocation parameters.
      </p>
    );
  }
  return (
    <div className="run-overrides" data-testid={testId}>
      <button type="button" className="link-button" onClick={() => setOpen(!open)} aria-expanded={open} data-testid={`${testId}-toggle`}>
        {open ? '▾' : '▸'} Invocation overrides{set ? ` (${set} set)` : ''}
      </button>
      {open && (
        <>
          <p className="muted small">The workflow’s parameters for this run only. Each shows what the run uses if you leave it as it is: the order line’s value when it brings one, else the node’s own.</p>
          <ParamForm schema={schema} values={values} idPrefix="run-ov" readOnly={false} onChange={onChange} extraErrors={pinned} inForm />
        </>
      )}
    </div>
  );
}
