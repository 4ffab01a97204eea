// A new order: lines of product × output type × quantity. A line whose
// output type runs a graph may override the workflow's invocation
// parameters; the form shows the output type's values as the defaults. The
// tier's prices give a running estimate; the server prices the order.
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, ApiFailure } from '../api';
import { estimateOrder, formatMoney, takesLineOverrides } from '../catalog';
import { properties } from '../params';
import { parsePointer } from '../problems';
import type { Navigate } from '../route';
import type { JSONSchema, OutputType, PricingTier, Product } from '../types';
import { lineOverridesSchema } from '../wizard';
import { PointerList } from './CatalogBits';
import type { CatalogBoot } from './CatalogView';
import { ParamForm } from './ParamForm';

interface LineDraft {
  uid: number;
  product: string;
  output_type: string;
  quantity: string;
  overrides: Record<string, unknown>;
  showOverrides: boolean;
}

let uid = 0;

/** `product`: the product the first line starts with ("Order it" on a product's page). */
export function OrderForm({ boot, navigate, product }: { boot: CatalogBoot; navigate: Navigate; product?: string }) {
  const [products, setProducts] = useState<Product[]>([]);
  const [outputTypes, setOutputTypes] = useState<OutputType[]>([]);
  const [tiers, setTiers] = useState<PricingTier[]>([]);
  const [loadError, setLoadError] = useState('');
  const [customer, setCustomer] = useState('');
  const [reference, setReference] = useState('');
  const lineSchema = properties((boot.apiSchemas.OrderRequest?.properties as Record<string, JSONSchema> | undefined)?.lines?.items as JSONSchema | undefined);
  const qty = lineSchema.quantity ?? {};
  const firstQty = String(qty.default ?? qty.minimum ?? '');
  const newLine = (): LineDraft => ({ uid: ++uid, product: '', output_type: '', quantity: firstQty, overrides: {}, showOverrides: false });
  const [lines, setLines] = useState<LineDraft[]>(() => [{ ...newLine(), product: product ?? '' }]);
  const [schemas, setSchemas] = useState<Record<string, JSONSchema | undefined>>({});
  const [errors, setErrors] = useState<{ pointer: string; message: string; code?: string }[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    Promise.all([api.products(), api.outputTypes(), api.pricingTiers()]).then(
      ([p, o, t]) => {
        setProducts(p.products);
        setOutputTypes(o.output_types);
        setTiers(t.pricing_tiers);
      },
      (e: Error) => setLoadError(e.message),
    );
  }, []);

  // The invocation parameters of each graph output type's workflow, fetched once each.
  const wanted = useMemo(
    () => [...new Set(lines.map((l) => outputTypes.find((o) => o.key === l.output_type)).filter(takesLineOverrides).map((o) => `${o!.workflow!.id}@${o!.workflow!.version}`))],
    [lines, outputTypes],
  );
  useEffect(() => {
    for (const k of wanted) {
      if (k in schemas) continue;
      const [id, v] = k.split('@');
      setSchemas((s) => ({ ...s, [k]: undefined }));
      api.outputTypeSchema({ id, version: Number(v) }).then(
        (s) => setSchemas((m) => ({ ...m, [k]: properties(s).overrides as JSONSchema })),
        () => undefined,
      );
    }
  }, [wanted, schemas]);

  const ot = (key: string) => outputTypes.find((o) => o.key === key);
  const estimate = estimateOrder(
    lines.map((l) => ({ output_type: l.output_type, quantity: Number(l.quantity || NaN) })),
    outputTypes,
    tiers,
  );
  const update = (u: number, patch: Partial<LineDraft>) => setLines((ls) => ls.map((l) => (l.uid === u ? { ...l, ...patch } : l)));
  const lineErrors = (i: number, field?: string) =>
    errors.filter((e) => {
      const p = parsePointer(e.pointer);
      return p[0] === 'lines' && p[1] === String(i) && (field === undefined ? !['product', 'output_type', 'quantity', 'overrides'].includes(p[2]) : p[2] === field);
    });
  const otherErrors = errors.filter((e) => parsePointer(e.pointer)[0] !== 'lines' || parsePointer(e.pointer)[1] === undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    setError('');
    try {
      const order = await api.createOrder({
        ...(customer ? { customer } : {}),
        ...(reference ? { reference } : {}),
        lines: lines.map((l) => ({
          product: l.product,
          output_type: l.output_type,
          ...(l.quantity !== '' ? { quantity: Number(l.quantity) } : {}),
          ...(Object.keys(l.overrides).length ? { overrides: l.overrides } : {}),
        })),
      });
      navigate(`/orders/${encodeURIComponent(order.id)}`);
    } catch (err) {
      const f = err as ApiFailure;
      setErrors(f.errors);
      setError(f.message);
    } finally {
      setBusy(false);
    }
  };

  const msgs = (list: { message: string }[], testId?: string) =>
    list.length ? (
      <ul className="field-problems" data-testid={testId}>
        {list.map((m, i) => (
          <li key={i}>{m.message}</li>
        ))}
      </ul>
    ) : null;

  return (
    <main className="runs-page catalog-page" data-testid="order-form-page">
      <div className="page-head">
        <h1>New order</h1>
        <span className="page-head-spacer" />
        <button type="button" onClick={() => navigate('/orders')}>
          Cancel
        </button>
      </div>
      {loadError && <p className="notice notice-error">Cannot load the catalog: {loadError}</p>}
      <form className="order-form" onSubmit={submit} noValidate data-testid="order-form">
        <div className="card inline-form-row">
          <div className="form-field">
            <label htmlFor="order-customer">Customer</label>
            <input id="order-customer" value={customer} onChange={(e) => setCustomer(e.target.value)} data-testid="order-customer" />
          </div>
          <div className="form-field">
            <label htmlFor="order-reference">Reference</label>
            <input id="order-reference" value={reference} onChange={(e) => setReference(e.target.value)} data-testid="order-reference" />
          </div>
        </div>
        {lines.map((l, i) => {
          const o = ot(l.output_type);
          const graph = takesLineOverrides(o);
          const wkey = graph ? `${o!.workflow!.id}@${o!.workflow!.version}` : '';
          const ovSchema = graph ? schemas[wkey] : undefined;
          return (
            <section className="card order-line" key={l.uid} data-testid={`order-line-${i}`}>
              <div className="order-line-row">
                <span className="order-line-n">{i + 1}</span>
                <div className="form-field grow">
                  <label htmlFor={`line-${l.uid}-product`}>Product</label>
                  <select id={`line-${l.uid}-product`} value={l.product} onChange={(e) => update(l.uid, { product: e.target.value })} className={lineErrors(i, 'product').length ? 'input-error' : ''} data-testid={`line-${i}-product`}>
                    <option value="">Choose…</option>
                    {products.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.name} ({p.sku})
                      </option>
                    ))}
                  </select>
                  {msgs(lineErrors(i, 'product'))}
                </div>
                <div className="form-field grow">
                  <label htmlFor={`line-${l.uid}-ot`}>Output type</label>
                  <select
                    id={`line-${l.uid}-ot`}
                    value={l.output_type}
                    onChange={(e) => update(l.uid, { output_type: e.target.value, overrides: {}, showOverrides: false })}
                    className={lineErrors(i, 'output_type').length ? 'input-error' : ''}
                    data-testid={`line-${i}-output-type`}
                  >
                    <option value="">Choose…</option>
                    {outputTypes.map((x) => (
                      <option key={x.key} value={x.key}>
                        {x.name} · {x.artifact_kind}
                        {x.visibility ? ` · ${x.visibility}` : ''}
                      </option>
                    ))}
                  </select>
                  {msgs(lineErrors(i, 'output_type'))}
                </div>
                <div className="form-field qty">
                  <label htmlFor={`line-${l.uid}-qty`}>Quantity</label>
                  <input
                    id={`line-${l.uid}-qty`}
                    type="number"
                    min={typeof qty.minimum === 'number' ? qty.minimum : undefined}
                    max={typeof qty.maximum === 'number' ? qty.maximum : undefined}
                    value={l.quantity}
                    onChange={(e) => update(l.uid, { quantity: e.target.value })}
                    className={lineErrors(i, 'quantity').length ? 'input-error' : ''}
                    data-testid={`line-${i}-quantity`}
                  />
                  {msgs(lineErrors(i, 'quantity'))}
                </div>
                <div className="order-line-price" data-testid={`line-${i}-estimate`}>
                  <span className="muted small">estimate</span>
                  <span className="strong">{formatMoney(estimate.lines[i], estimate.currency)}</span>
                </div>
                <button type="button" className="link-button danger" disabled={lines.length === 1} onClick={() => setLines((ls) => ls.filter((x) => x.uid !== l.uid))} aria-label={`Remove line ${i + 1}`}>
                  Remove
                </button>
              </div>
              {o && (
                <div className="small muted order-line-info">
                  {o.rollout} rollout
                  {o.workflow ? (
                    <>
                      {' '}
                      · <span className="mono">{o.workflow.id}</span> v{o.workflow.version}
                    </>
                  ) : (
                    ' · legacy pipeline'
                  )}
                  {graph ? '' : ' · no per-line overrides'}
                </div>
              )}
              {graph && (
                <div className="order-line-overrides">
                  <button type="button" className="link-button" onClick={() => update(l.uid, { showOverrides: !l.showOverrides })} aria-expanded={l.showOverrides} data-testid={`line-${i}-overrides-toggle`}>
                    {l.showOverrides ? '▾' : '▸'} Overrides for this line{Object.keys(l.overrides).length ? ` (${Object.keys(l.overrides).length})` : ''}
                  </button>
                  {l.showOverrides &&
                    (ovSchema ? (
                      <ParamForm schema={lineOverridesSchema(ovSchema, o!.overrides)} values={l.overrides} idPrefix={`line${i}`} readOnly={false} onChange={(v) => update(l.uid, { overrides: v })} />
                    ) : (
                      <p className="muted small">Loading the workflow’s parameters…</p>
                    ))}
                </div>
              )}
              {msgs(lineErrors(i, 'overrides'), `line-${i}-overrides-errors`)}
              {msgs(lineErrors(i))}
            </section>
          );
        })}
        <div className="order-form-foot">
          <button type="button" onClick={() => setLines((ls) => [...ls, newLine()])} data-testid="order-add-line">
            + Add a line
          </button>
          <span className="page-head-spacer" />
          <span className="order-total" data-testid="order-estimate">
            {estimate.total !== undefined ? (
              <>
                Estimated total <strong>{formatMoney(estimate.total, estimate.currency)}</strong>
              </>
            ) : (
              <span className="muted small">{estimate.note}</span>
            )}
          </span>
          <button type="submit" className="primary" disabled={busy} data-testid="order-submit">
            Place order
          </button>
        </div>
        {error && <p className="notice notice-error">Not placed: {error}</p>}
        <PointerList items={otherErrors} tone="error" testId="order-errors" />
      </form>
    </main>
  );
}
