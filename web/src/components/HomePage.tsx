// The home page ("/"): where to start. Recent orders and runs, the products
// that cannot be ordered yet because their CAD intake is missing or not done,
// and, on an install nobody has ordered from yet, the short path from a STEP
// file to a first picture.
import { useCallback } from 'react';
import { api } from '../api';
import { awaitingIntake, demoProduct, isFreshInstall, newest } from '../home';
import { routeUrl, type Navigate } from '../route';
import { formatWhen, subjectText } from '../runs';
import { useFetched } from '../useFetched';
import { orderTitle } from '../words';
import { AppLink } from './CatalogBits';
import { StatusBadge } from './StatusBadge';

const RECENT = 5;

async function loadHome() {
  const [orders, runs, products, cadFiles] = await Promise.all([api.orders(), api.runs(), api.products(), api.cadFiles()]);
  return { orders: orders.orders, runs: runs.runs, products: products.products, cadFiles: cadFiles.cad_files };
}

export function HomePage({ navigate }: { navigate: Navigate }) {
  const { data, error } = useFetched(useCallback(loadHome, []));
  if (error) return <main className="runs-page catalog-page"><p className="notice notice-error">Cannot load the overview: {error}</p></main>;
  if (!data) return <main className="runs-page catalog-page"><p className="empty">Loading…</p></main>;
  const fresh = isFreshInstall(data.orders, data.runs);
  const waiting = awaitingIntake(data.products, data.cadFiles);
  const demo = demoProduct(data.products);
  const orders = newest(data.orders, RECENT);
  const runs = newest(data.runs, RECENT);
  return (
    <main className="runs-page catalog-page home-page" data-testid="home-page" data-fresh={fresh ? 'yes' : 'no'}>
      <div className="page-head">
        <h1>Prodflow</h1>
        <span className="page-head-spacer" />
        <span className="muted small">STEP files in; stills, turntables, GLB and .blend files out.</span>
      </div>

      {fresh && (
        <section className="home-card home-start" data-testid="home-start">
          <h2>Getting started</h2>
          <ol className="home-steps">
            <li>
              <strong>Add a product.</strong> On <AppLink href={routeUrl({ view: 'products' })} navigate={navigate} testId="home-add-product">Products</AppLink>, give it a name, SKU and
              category and upload its STEP file. The CAD intake reads the assembly, meshes it and maps its materials; the product can be ordered once it succeeded.
            </li>
            <li>
              <strong>Order the demo gearbox.</strong>{' '}
              {demo ? (
                <>
                  The sample <AppLink href={routeUrl({ view: 'product', id: demo.id })} navigate={navigate}>{demo.name}</AppLink> is already here:{' '}
                  <AppLink href={routeUrl({ view: 'order-new', product: demo.id })} navigate={navigate} testId="home-order-demo">order it</AppLink>, pick an output type
                  (a studio still is the quickest) and dispatch the line.
                </>
              ) : (
                <>This install has no sample product; add one as above, then order it on <AppLink href={routeUrl({ view: 'orders' })} navigate={navigate}>Orders</AppLink>.</>
              )}
            </li>
            <li>
              <strong>Watch it render.</strong> The order&apos;s run shows each step live on <AppLink href={routeUrl({ view: 'runs' })} navigate={navigate}>Runs</AppLink>; its pictures
              appear on the order when it is done.
            </li>
            <li>
              <strong>Shape what it makes.</strong> <AppLink href={routeUrl({ view: 'output-types' })} navigate={navigate}>Output types</AppLink> say what an order line delivers and which{' '}
              <AppLink href={routeUrl({ view: 'editor' })} navigate={navigate}>workflow</AppLink> makes it. The same from a terminal:{' '}
              <code>prodflow run gearbox.step --output-type studio_still -o out</code>.
            </li>
          </ol>
        </section>
      )}

      <div className="home-grid">
        <section className="home-card" data-testid="home-orders">
          <h2>
            Recent orders <AppLink href={routeUrl({ view: 'orders' })} navigate={navigate}>all</AppLink>
          </h2>
          {orders.length === 0 ? (
            <p className="muted">No orders yet.</p>
          ) : (
            <ul className="home-list">
              {orders.map((o) => (
                <li key={o.id} data-testid={`home-order-${o.id}`}>
                  <AppLink href={routeUrl({ view: 'order', id: o.id })} navigate={navigate}>{orderTitle(o)}</AppLink>
                  <span className="muted small">
                    {' '}
                    · {o.lines.length} line{o.lines.length === 1 ? '' : 's'}
                    {o.created_at ? ` · ${formatWhen(o.created_at)}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="home-card" data-testid="home-runs">
          <h2>
            Recent runs <AppLink href={routeUrl({ view: 'runs' })} navigate={navigate}>all</AppLink>
          </h2>
          {runs.length === 0 ? (
            <p className="muted">No runs yet.</p>
          ) : (
            <ul className="home-list">
              {runs.map((r) => (
                <li key={r.id} data-testid={`home-run-${r.id}`}>
                  <StatusBadge status={r.status} />{' '}
                  <AppLink href={routeUrl({ view: 'run', id: r.id })} navigate={navigate}>{r.workflow_id ?? r.id}</AppLink>
                  <span className="muted small"> · {subjectText(r.subject)}{r.created_at ? ` · ${formatWhen(r.created_at)}` : ''}</span>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="home-card" data-testid="home-awaiting">
          <h2>
            Awaiting intake <AppLink href={routeUrl({ view: 'products' })} navigate={navigate}>products</AppLink>
          </h2>
          {waiting.length === 0 ? (
            <p className="muted">Every product has its CAD intake done.</p>
          ) : (
            <ul className="home-list">
              {waiting.map(({ product, why }) => (
                <li key={product.id} data-testid={`home-awaiting-${product.sku}`}>
                  <AppLink href={routeUrl({ view: 'product', id: product.id })} navigate={navigate}>{product.name}</AppLink>
                  <span className="muted small"> · {why}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <p className="muted small home-foot">
        The API is described at <AppLink href={routeUrl({ view: 'api-docs' })} navigate={navigate} testId="home-api-docs">API reference</AppLink>.
      </p>
    </main>
  );
}
