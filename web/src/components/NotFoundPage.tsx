// What an unknown URL shows: a page that says so and leads back.
import type { ReactNode } from 'react';
import { EDITOR_URL, type Navigate } from '../route';
import { AppLink } from './CatalogBits';
import { Brand } from './NavTabs';

export function NotFoundPage({ path, navigate, nav }: { path: string; navigate: Navigate; nav: ReactNode }) {
  return (
    <div className="runs-app catalog-app">
      <header className="topbar">
        <Brand />
        {nav}
      </header>
      <main className="runs-page catalog-page not-found" data-testid="not-found">
        <h1>Page not found</h1>
        <p>
          There is no page at <span className="mono">{path}</span>. It may have moved, or the link may be mistyped.
        </p>
        <ul className="not-found-links">
          <li>
            <AppLink href="/" navigate={navigate}>
              Home
            </AppLink>
          </li>
          <li>
            <AppLink href={EDITOR_URL} navigate={navigate}>
              Workflows
            </AppLink>
          </li>
          <li>
            <AppLink href="/orders" navigate={navigate}>
              Orders
            </AppLink>
          </li>
          <li>
            <AppLink href="/products" navigate={navigate}>
              Products
            </AppLink>
          </li>
          <li>
            <AppLink href="/runs" navigate={navigate}>
              Runs
            </AppLink>
          </li>
        </ul>
      </main>
    </div>
  );
}
