// One order: its lines with their prices and statuses. Each line can be
// preflighted (every problem and warning, each leading to where it can be
// fixed) and dispatched; its runs open in the run view. While a line is in
// production the page polls the order, so the status follows the run. A
// delivered line shows what it delivered: its run's published assets.
import { Fragment, useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiFailure } from '../api';
import { dispatchBlocked, formatMoney, lineIsLive, lineRuns, preflightTarget } from '../catalog';
import { lineDeliverables, runsToFetch } from '../deliverables';
import type { Navigate } from '../route';
import { formatWhen } from '../runs';
import type { ArtifactKind, Asset, JSONSchema, OrderLine, OutputType, PointerProblem, Product } from '../types';
import { useFetched } from '../useFetched';
import { AppLink, KvTable, PointerList, TestOrderBadge, type ProblemItem } from './CatalogBits';
import { Deliverables } from './Deliverables';
import { orderTitle } from '../words';
import { RunProgress } from './RunProgress';
import { StatusBadge } from './StatusBadge';

const POLL_MS = 2000;

interface LineResult {
  kind: 'preflight' | 'dispatch';
  ok: boolean;
  text: string;
  problems: PointerProblem[];
  warnings: PointerProblem[];
}

export function OrderPage({ id, navigate, artifactKinds = [] }: { id: string; navigate: Navigate; artifactKinds?: readonly ArtifactKind[] }) {
  const fetchOrder = useCallback(() => api.order(id), [id]);
  const { data: order, error, reload: load } = useFetched(fetchOrder);
  const [products, setProducts] = useState<Product[]>([]);
  const [outputTypes, setOutputTypes] = useState<OutputType[]>([]);
  const [schema, setSchema] = useState<JSONSchema | undefined>();
  const [results, setResults] = useState<Record<string, LineResult>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [focus, setFocus] = useState<string | null>(null);
  // run id → its published assets (fetched once the line is delivered; a finished run's never change)
  const [assets, setAssets] = useState<Record<string, Asset[]>>({});
  const [assetErrors, setAssetErrors] = useState<Record<string, string>>({});

  useEffect(() => {
    Promise.all([api.products(), api.outputTypes(), api.outputTypeSchema()]).then(
      ([p, o, s]) => {
        setProducts(p.products);
        setOutputTypes(o.output_types);
        setSchema(s);
      },
      () => undefined,
    );
  }, []);

  const lines = (order?.lines ?? []).filter((l): l is OrderLine => typeof l === 'object');
  const live = lines.some((l) => lineIsLive(l.status));
  useEffect(() => {
    if (!live) return;
    const t = setInterval(load, POLL_MS);
    return () => clearInterval(t);
  }, [live, load]);

  // Each delivered line's latest run's assets, asked for once (a finished run's never change).
  const requested = useRef(new Set<string>());
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const wanted = runsToFetch(lines, Object.fromEntries([...requested.current].map((r) => [r, true]))).join(' ');
  useEffect(() => {
    if (!wanted) return;
    for (const runId of wanted.split(' ')) {
      requested.current.add(runId);
      api.assets(runId).then(
        (list) => mounted.current && setAssets((m) => ({ ...m, [runId]: list })),
        (e: Error) => mounted.current && setAssetErrors((m) => ({ ...m, [runId]: e.message })),
      );
    }
  }, [wanted]);

  const items = (line: OrderLine, list: PointerProblem[]): ProblemItem[] =>
    list.map((p) => {
      const t = preflightTarget(p.pointer, line, schema);
      if (t.kind === 'product' || t.kind === 'output_type') return { ...p, where: t.label, onSelect: () => navigate(t.href) };
      if (t.kind === 'line') return { ...p, where: t.label, onSelect: () => setFocus(line.id) };
      return p;
    });

  const preflight = async (line: OrderLine) => {
    setBusy(line.id);
    try {
      const r = await api.preflight(line.id);
      setResults((m) => ({
        ...m,
        [line.id]: { kind: 'preflight', ok: r.ok, text: r.ok ? 'Preflight passed: the line can be dispatched.' : `Preflight found ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}.`, problems: r.problems, warnings: r.warnings ?? [] },
      }));
    } catch (e) {
      setResults((m) => ({ ...m, [line.id]: { kind: 'preflight', ok: false, text: (e as Error).message, problems: [], warnings: [] } }));
    } finally {
      setBusy(null);
    }
  };

  const dispatch = async (line: OrderLine) => {
    setBusy(line.id);
    try {
      const r = await api.dispatch(line.id);
      setResults((m) => ({
        ...m,
        [line.id]: { kind: 'dispatch', ok: true, text: `Dispatched: ${r.shadow_run_id ? 'its run and a shadow run started' : 'its run started'} (${r.rollout} rollout).`, problems: [], warnings: r.warnings ?? [] },
      }));
      await load();
    } catch (e) {
      const f = e as ApiFailure;
      const why = f.status === 422 ? 'Not dispatched: the line does not pass preflight.' : f.status === 409 ? `Not dispatched: ${f.message}` : `Not dispatched: ${f.message}`;
      setResults((m) => ({ ...m, [line.id]: { kind: 'dispatch', ok: false, text: why, problems: f.status === 422 ? f.errors : [], warnings: [] } }));
    } finally {
      setBusy(null);
    }
  };

  if (error && !order) return <main className="runs-page catalog-page"><p className="notice notice-error">Cannot load order {id}: {error}</p></main>;
  if (!order) return <main className="runs-page catalog-page"><p className="empty">Loading…</p></main>;

  const productName = (pid: string) => products.find((p) => p.id === pid)?.name ?? pid;
  const otName = (key: string) => outputTypes.find((o) => o.key === key)?.name ?? key;

  return (
    <main className="runs-page catalog-page" data-testid="order-page">
      <div className="page-head">
        <AppLink href="/orders" navigate={navigate} className="run-back">
          ← Orders
        </AppLink>
        <h1 data-testid="order-title">
          {orderTitle(order)}
          <TestOrderBadge order={order} testId="order-test-badge" />
        </h1>
        <span className="mono muted small" title="The order's id">
          {order.id}
        </span>
        <span className="page-head-spacer" />
        <span className="muted small">{formatWhen(order.created_at)}</span>
        <span className="order-total">
          Total <strong data-testid="order-total">{formatMoney(order.total, order.currency)}</strong>
        </span>
      </div>
      {error && <p className="notice notice-error">Cannot refresh: {error}</p>}
      <table className="runs-table order-lines" data-testid="order-lines">
        <thead>
          <tr>
            <th>Line</th>
            <th>Product</th>
            <th>Output type</th>
            <th className="num">Qty</th>
            <th className="num">Unit price</th>
            <th className="num">Total</th>
            <th>Status</th>
            <th>Runs</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => {
            const r = results[l.id];
            const sku = products.find((p) => p.id === l.product)?.sku;
            const delivered = lineDeliverables(l, assets, artifactKinds, sku);
            const latestRun = l.runs.at(-1)?.run_id;
            const assetError = latestRun ? assetErrors[latestRun] : undefined;
            const showFiles = l.status === 'delivered' || l.status === 'in_production';
            return (
              <Fragment key={l.id}>
                <tr data-testid={`line-row-${l.output_type}`} data-line={l.id} className={focus === l.id ? 'row-focus' : ''}>
                  <td className="small" title={`Line id ${l.id}`}>
                    Line {lines.indexOf(l) + 1}
                  </td>
                  <td>
                    <AppLink href={`/products/${encodeURIComponent(l.product)}`} navigate={navigate}>
                      {productName(l.product)}
                    </AppLink>
                  </td>
                  <td>
                    <AppLink href={`/output-types/${encodeURIComponent(l.output_type)}/edit`} navigate={navigate}>
                      {otName(l.output_type)}
                    </AppLink>
                  </td>
                  <td className="num">{l.quantity}</td>
                  <td className="num" data-testid={`line-unit-${l.output_type}`}>
                    {formatMoney(l.unit_price, l.currency)}
                  </td>
                  <td className="num" data-testid={`line-total-${l.output_type}`}>
                    {formatMoney(l.total, l.currency)}
                  </td>
                  <td>
                    <StatusBadge status={l.status} testId={`line-status-${l.output_type}`} />
                  </td>
                  <td className="small">
                    {lineRuns(l).map((x) => (
                      <div key={x.run}>
                        <AppLink href={`/runs/${encodeURIComponent(x.run)}`} navigate={navigate} testId={`line-run-${l.output_type}`} title={x.run}>
                          {lineRuns(l).length > 1 ? `Run ${lineRuns(l).indexOf(x) + 1}` : 'View run'}
                        </AppLink>
                        {x.shadow && (
                          <>
                            {' '}
                            <span className="muted">shadow</span>{' '}
                            <AppLink href={`/runs/${encodeURIComponent(x.shadow)}`} navigate={navigate} title={x.shadow}>
                              run
                            </AppLink>
                          </>
                        )}
                      </div>
                    ))}
                    {!l.runs.length && <span className="muted">—</span>}
                  </td>
                  <td className="row-actions">
                    <button type="button" onClick={() => preflight(l)} disabled={busy === l.id} data-testid={`preflight-${l.output_type}`}>
                      Preflight
                    </button>
                    <button
                      type="button"
                      className="primary"
                      onClick={() => dispatch(l)}
                      disabled={busy === l.id || !!dispatchBlocked(l.status)}
                      title={dispatchBlocked(l.status) ? `Not again: ${dispatchBlocked(l.status)}` : 'Preflight, then start its run(s)'}
                      data-testid={`dispatch-${l.output_type}`}
                    >
                      Dispatch
                    </button>
                  </td>
                </tr>
                {(r || (focus === l.id && Object.keys(l.overrides ?? {}).length > 0)) && (
                  <tr className="line-detail">
                    <td colSpan={9}>
                      {r && (
                        <div className={`line-result ${r.ok ? 'ok' : 'bad'}`} data-testid={`line-result-${l.output_type}`} data-ok={r.ok}>
                          <span className="strong">{r.text}</span>
                          <PointerList items={items(l, r.problems)} tone="error" title="Problems" testId={`line-problems-${l.output_type}`} />
                          <PointerList items={items(l, r.warnings)} tone="warn" title="Warnings" testId={`line-warnings-${l.output_type}`} />
                        </div>
                      )}
                      {focus === l.id && Object.keys(l.overrides ?? {}).length > 0 && (
                        <div className="line-overrides">
                          <div className="small strong">This line’s overrides</div>
                          <KvTable rows={Object.entries(l.overrides)} />
                        </div>
                      )}
                    </td>
                  </tr>
                )}
                {showFiles && (
                  <tr className="line-files">
                    <td colSpan={9}>
                      {delivered.length > 0 && <Deliverables items={delivered} testId={`deliverables-${l.output_type}`} />}
                      {l.status === 'in_production' && latestRun && <RunProgress runId={latestRun} testId={`line-progress-${l.output_type}`} />}
                      {l.status === 'in_production' && <p className="muted small deliverables-wait">In production: the files show here when the run has published them.</p>}
                      {l.status === 'delivered' && latestRun && !assetError && !(latestRun in assets) && <p className="muted small deliverables-wait">Loading the delivered files…</p>}
                      {l.status === 'delivered' && latestRun && latestRun in assets && delivered.length === 0 && (
                        <p className="muted small deliverables-wait">The run published no files.</p>
                      )}
                      {assetError && <p className="notice notice-error small">Cannot list the delivered files: {assetError}</p>}
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </main>
  );
}
