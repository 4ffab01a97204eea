// The Settings section: reference data (categories, pricing tiers) and the
// files the renderer reads (material libraries, render templates), one tab each.
import { routeUrl, type CatalogRoute, type Navigate, type SettingsPage } from '../route';
import { mayAct } from '../session';
import { AccessPage } from './AccessPage';
import { AppLink } from './CatalogBits';
import { CategoriesPage } from './CategoriesPage';
import type { CatalogBoot } from './CatalogView';
import { MaterialLibrariesPage, MaterialLibraryPage } from './MaterialLibrariesPage';
import { PricingTiersPage } from './PricingTiersPage';
import { TemplatePage, TemplatesPage } from './TemplatesPage';

export type SettingsRoute = Extract<CatalogRoute, { view: 'settings' | 'material-library' | 'template' }>;

const TABS: [SettingsPage, string][] = [
  ['categories', 'Categories'],
  ['pricing-tiers', 'Pricing tiers'],
  ['material-libraries', 'Material libraries'],
  ['templates', 'Render templates'],
  ['access', 'Access'],
];

/** What the top bar names: the open page's tab, or the file's name. */
export function settingsTitle(route: SettingsRoute): string {
  if (route.view === 'material-library') return route.name;
  if (route.view === 'template') return route.key;
  return TABS.find(([p]) => p === route.page)?.[1] ?? 'Settings';
}

export function isSettingsRoute(route: CatalogRoute): route is SettingsRoute {
  return route.view === 'settings' || route.view === 'material-library' || route.view === 'template';
}

export function SettingsView({ route, boot, navigate }: { route: SettingsRoute; boot: CatalogBoot; navigate: Navigate }) {
  const page: SettingsPage = route.view === 'settings' ? route.page : route.view === 'material-library' ? 'material-libraries' : 'templates';
  return (
    <main className="runs-page catalog-page settings-page" data-testid="settings-page" data-page={page}>
      <nav className="settings-tabs" aria-label="Settings">
        {TABS.filter(([p]) => p !== 'access' || mayAct('admin')).map(([p, label]) => (
          <AppLink key={p} href={routeUrl({ view: 'settings', page: p })} navigate={navigate} className={`settings-tab${p === page ? ' active' : ''}`} testId={`settings-tab-${p}`}>
            {label}
          </AppLink>
        ))}
      </nav>
      {route.view === 'settings' && route.page === 'categories' && <CategoriesPage boot={boot} />}
      {route.view === 'settings' && route.page === 'pricing-tiers' && <PricingTiersPage boot={boot} />}
      {route.view === 'settings' && route.page === 'material-libraries' && <MaterialLibrariesPage navigate={navigate} />}
      {route.view === 'settings' && route.page === 'templates' && <TemplatesPage navigate={navigate} />}
      {route.view === 'settings' && route.page === 'access' && <AccessPage />}
      {route.view === 'material-library' && <MaterialLibraryPage key={route.name} name={route.name} navigate={navigate} />}
      {route.view === 'template' && <TemplatePage key={route.key} templateKey={route.key} navigate={navigate} />}
    </main>
  );
}
