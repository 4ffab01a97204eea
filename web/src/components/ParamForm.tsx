// An rjsf form over a JSON Schema object whose values are overrides of the
// schema's defaults. Every field shows its default; overridden fields are
// marked and have a reset button.
import Form from '@rjsf/core';
import type { ErrorSchema, FieldTemplateProps, RJSFSchema, UiSchema } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import { useMemo, useState } from 'react';
import { applyFormChange, formatValue, isOverridden, resetKey, schemaDefaults } from '../params';

interface FormCtx {
  defaults: Record<string, unknown>;
  values: Record<string, unknown>;
  readOnly: boolean;
  onReset: (key: string) => void;
  testPrefix: string;
  markUnset: boolean;
}

function FieldTemplate(props: FieldTemplateProps) {
  const { id, label, children, errors, hidden, rawDescription, fieldPathId, registry, schema } = props;
  if (hidden) return <div className="hidden">{children}</div>;
  const path = fieldPathId?.path ?? [];
  if (path.length === 0) return <>{children}</>;
  if (path.length > 1) {
    return (
      <div className="pf-subfield">
        <label htmlFor={id}>{label}</label>
        {children}
        {errors}
      </div>
    );
  }
  const ctx = registry.formContext as FormCtx;
  const key = String(path[0]);
  const hasDefault = key in ctx.defaults;
  const overridden = (hasDefault || ctx.markUnset) && isOverridden(ctx.values, ctx.defaults, key);
  return (
    <div className={`pf-field${overridden ? ' overridden' : ''}`} data-testid={`field-${ctx.testPrefix}-${key}`}>
      <div className="pf-field-head">
        <label htmlFor={id} className="pf-field-label">
          {label}
        </label>
        {overridden ? (
          <>
            <span className="badge badge-override" data-testid={`overridden-${ctx.testPrefix}-${key}`}>
              overridden
            </span>
            {!ctx.readOnly && (
              <button type="button" className="link-button" onClick={() => ctx.onReset(key)} aria-label={`Reset ${label} to its default`}>
                Reset
              </button>
            )}
          </>
        ) : (
          hasDefault && <span className="badge badge-default">default</span>
        )}
      </div>
      <div className="pf-field-input">{children}</div>
      {errors}
      <div className="pf-field-meta">
        {rawDescription && <span>{rawDescription} </span>}
        {hasDefault && (
          <span className="pf-default">
            Default: <code>{formatValue(ctx.defaults[key])}</code>
          </span>
        )}
        {!hasDefault && typeof schema?.type === 'string' && <span className="pf-default">No default</span>}
      </div>
    </div>
  );
}

export interface ParamFormProps {
  schema: Record<string, unknown>;
  uiSchema?: Record<string, unknown>;
  values: Record<string, unknown>;
  idPrefix: string;
  readOnly: boolean;
  onChange: (values: Record<string, unknown>, changedKey?: string) => void;
  /** server problems pinned on fields (an rjsf ErrorSchema; keep it referentially stable) */
  extraErrors?: object;
  /** false: only the server's problems show (the wizard), not the browser's own schema check */
  clientValidate?: boolean;
  /** false: a field without a default is never marked "overridden" (plain document fields) */
  markUnset?: boolean;
  /** inside another form (a dialog's): rendered as a div, so Enter submits that form and forms do not nest */
  inForm?: boolean;
}

const TEMPLATES = { FieldTemplate };
const DEFAULT_BEHAVIOUR = { emptyObjectFields: 'skipDefaults' as const };

export function ParamForm({ schema, uiSchema, values, idPrefix, readOnly, onChange, extraErrors, clientValidate = true, markUnset = true, inForm = false }: ParamFormProps) {
  const defaults = useMemo(() => schemaDefaults(schema), [schema]);
  // Fields the user emptied show empty rather than snapping back to the default.
  const [cleared, setCleared] = useState<ReadonlySet<string>>(new Set());
  const formData = useMemo(() => {
    const d: Record<string, unknown> = {};
    for (const k of Object.keys(defaults)) if (!cleared.has(k)) d[k] = defaults[k];
    for (const [k, v] of Object.entries(values)) if (v !== undefined) d[k] = v;
    return d;
  }, [defaults, values, cleared]);
  const ui = useMemo<UiSchema>(
    () => ({ ...(uiSchema ?? {}), 'ui:globalOptions': { label: false }, 'ui:submitButtonOptions': { norender: true } }),
    [uiSchema],
  );
  const ctx: FormCtx = {
    defaults,
    values,
    readOnly,
    testPrefix: idPrefix,
    markUnset,
    onReset: (key) => {
      setCleared((c) => {
        const n = new Set(c);
        n.delete(key);
        return n;
      });
      onChange(resetKey(values, key), key);
    },
  };
  return (
    <Form
      className="pf-form"
      tagName={inForm ? 'div' : undefined}
      schema={schema as RJSFSchema}
      uiSchema={ui}
      formData={formData}
      validator={validator}
      templates={TEMPLATES}
      formContext={ctx}
      idPrefix={idPrefix}
      noHtml5Validate
      liveValidate={clientValidate ? 'onChange' : false}
      extraErrors={extraErrors as ErrorSchema | undefined}
      showErrorList={false}
      disabled={readOnly}
      experimental_defaultFormStateBehavior={DEFAULT_BEHAVIOUR}
      onError={() => undefined}
      onSubmit={() => undefined}
      onChange={(e) => {
        const after = (e.formData ?? {}) as Record<string, unknown>;
        const next = applyFormChange(values, formData, after, defaults);
        const emptied = Object.keys(formData).filter((k) => after[k] === undefined && formData[k] !== undefined);
        const filled = Object.keys(after).filter((k) => after[k] !== undefined && cleared.has(k));
        if (emptied.length || filled.length) {
          setCleared((c) => {
            const n = new Set(c);
            emptied.forEach((k) => n.add(k));
            filled.forEach((k) => n.delete(k));
            return n;
          });
        }
        const changed = Object.keys({ ...formData, ...after }).find((k) => formData[k] !== after[k]);
        if (next !== values) onChange(next, changed);
      }}
    />
  );
}
