// The catalog sections: output types (list and wizard), products with their
// CAD uploads, orders, and the settings (reference data and served files);
// also the home page and the API reference, which need no boot data.
// Like the run view: the top bar with the app's navigation, then one page
// chosen by URL (see route.ts).
import { useEffect, useState, type ReactNode } from 'react';
import { api } from '../api';
import type { CatalogRoute, Navigate } from '../route';
import type { Family, JSONSchema, Vocabulary } from '../types';
import { ApiDocsPage } from './ApiDocsPage';
import { HomePage } from './HomePage';
import { Brand } from './NavTabs';
import { OrderForm } from './OrderForm';
import { OrderPage } from './OrderPage';
import { OrdersPage } from './OrdersPage';
import { OutputTypesPage } from './OutputTypesPage';
import { OutputTypeWizard } from './OutputTypeWizard';
import { ProductPage } from './ProductPage';
import { ProductsPage } from './ProductsPage';
import { isSettingsRoute, SettingsView, settingsTitle } from './SettingsView';

/** What every catalog page may need from the server, fetched once. */
export interface CatalogBoot {
  families: Family[];
  vocabulary: Vocabulary;
  /** the OpenAPI components: ProductInput, OrderRequest, DraftRequest… */
  apiSchemas: Record<string, JSONSchema>;
  /** the OpenAPI paths, for request bodies no component names (the legacy import) */
  apiPaths: Record<string, Record<string, unknown>>;
}

const TITLES: Record<CatalogRoute['view'], string> = {
  home: 'Home',
  'api-docs': 'API reference',
  'output-types': 'Output types',
  'output-type-wizard': 'Output type',
  products: 'Products',
  product: 'Product',
  orders: 'Orders',
  'order-new': 'New order',
  order: 'Order',
  settings: 'Settings',
  'material-library': 'Material library',
  template: 'Render template',
};

export function CatalogView({ route, navigate, nav }: { route: CatalogRoute; navigate: Navigate; nav: ReactNode }) {
  const [boot, setBoot] = useState<CatalogBoot | null>(null);
  const [bootError, setBootError] = useState('');

  useEffect(() => {
    Promise.all([api.families(), api.openapi().catch(() => null)]).then(
      ([f, oas]) =>
        setBoot({
          families: f.families,
          vocabulary: f.vocabulary ?? { port_types: [], artifact_roles: [], artifact_kinds: [] },
          apiSchemas: oas?.components?.schemas ?? {},
          apiPaths: oas?.paths ?? {},
        }),
      (e: Error) => setBootError(e.message),
    );
  }, []);

  useEffect(() => {
    document.title = `Prodflow · ${TITLES[route.view]}`;
  }, [route.view]);

  const sub =
    route.view === 'output-type-wizard'
      ? route.target === 'new'
        ? 'New output type'
        : route.target
      : route.view === 'product' || route.view === 'order'
        ? TITLES[route.view]
        : isSettingsRoute(route)
          ? settingsTitle(route)
          : TITLES[route.view];

  return (
    <div className="runs-app catalog-app" data-testid="catalog-app">
      <header className="topbar">
        <Brand />
        {nav}
        <div className="doc-meta muted">
          <span className={['material-library', 'template'].includes(route.view) ? 'mono' : ''}>{sub}</span>
        </div>
      </header>
      {bootError && <p className="notice notice-error runs-boot-error">Cannot reach the server: {bootError}</p>}
      {!boot && !bootError && route.view !== 'home' && route.view !== 'api-docs' && <p className="empty">Loading…</p>}
      {route.view === 'home' && <HomePage navigate={navigate} />}
      {route.view === 'api-docs' && <ApiDocsPage />}
      {boot && route.view === 'output-types' && <OutputTypesPage boot={boot} navigate={navigate} />}
      {boot && route.view === 'output-type-wizard' && <OutputTypeWizard key={route.target} boot={boot} route={route} navigate={navigate} />}
      {boot && route.view === 'products' && <ProductsPage boot={boot} navigate={navigate} />}
      {boot && route.view === 'product' && <ProductPage key={route.id} id={route.id} navigate={navigate} inputSchema={boot.apiSchemas.ProductInput} />}
      {boot && route.view === 'orders' && <OrdersPage navigate={navigate} />}
      {boot && route.view === 'order-new' && <OrderForm boot={boot} navigate={navigate} product={route.product} />}
      {boot && route.view === 'order' && <OrderPage key={route.id} id={route.id} navigate={navigate} artifactKinds={boot.vocabulary.artifact_kinds} />}
      {boot && isSettingsRoute(route) && <SettingsView route={route} boot={boot} navigate={navigate} />}
    </div>
  );
}
