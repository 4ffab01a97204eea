// The app's top-level views and their URLs. "/" is the home page (where to
// start: recent orders and runs, products awaiting intake); "/api/docs" the
// API reference. The editor owns "/workflows" and "/workflows/…" (it keeps its
// own URL up to date; "/workflows?new=FAMILY&return=URL", or the older
// "/?new=…", asks it for a new workflow on behalf of the output-type wizard); the run
// view owns "/runs" (the list, "?status=" filters it) and "/runs/{id}"
// ("?node=" names the node whose details are open). The catalog owns
// "/output-types", "/products", "/orders" and "/settings/…" (see catalogRoute).
import { useCallback, useEffect, useState } from 'react';
import type { RunStatus } from './types';

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'cancelled'];

/** The Settings section's pages, in the order of its tabs; "/settings" opens the first. */
export const SETTINGS_PAGES = ['categories', 'pricing-tiers', 'material-libraries', 'templates', 'access'] as const;
export type SettingsPage = (typeof SETTINGS_PAGES)[number];

export type CatalogRoute =
  | { view: 'home' }
  | { view: 'api-docs' }
  | { view: 'output-types' }
  | { view: 'output-type-wizard'; target: string; step?: string; workflow?: { id: string; version: number }; rollout?: string }
  | { view: 'products' }
  | { view: 'product'; id: string }
  | { view: 'orders' }
  | { view: 'order-new'; product?: string }
  | { view: 'order'; id: string }
  | { view: 'settings'; page: SettingsPage }
  | { view: 'material-library'; name: string }
  | { view: 'template'; key: string };

export type Route =
  | { view: 'editor'; newFamily?: string; returnTo?: string }
  | { view: 'runs'; status?: RunStatus }
  | { view: 'run'; id: string; node?: string }
  | { view: 'not-found'; path: string }
  | CatalogRoute;

/** The top-level section a route belongs to (the nav tabs; "home" has none). */
export type Section = 'home' | 'editor' | 'output-types' | 'products' | 'orders' | 'runs' | 'settings';

/** Where the editor lives. */
export const EDITOR_URL = '/workflows';

export function sectionOf(route: Route): Section {
  switch (route.view) {
    case 'home':
    case 'api-docs':
      return 'home';
    case 'editor':
    case 'not-found':
      return 'editor';
    case 'runs':
    case 'run':
      return 'runs';
    case 'output-types':
    case 'output-type-wizard':
      return 'output-types';
    case 'products':
    case 'product':
      return 'products';
    case 'settings':
    case 'material-library':
    case 'template':
      return 'settings';
    default:
      return 'orders';
  }
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s; // a malformed escape: keep it as written
  }
}

function catalogRoute(pathname: string, params: URLSearchParams): CatalogRoute | null {
  if ((pathname === '/' || pathname === '/index.html') && !params.get('new')) return { view: 'home' };
  if (/^\/api\/docs\/?$/.test(pathname)) return { view: 'api-docs' };
  if (/^\/output-types\/?$/.test(pathname)) return { view: 'output-types' };
  const w = /^\/output-types\/(?:new|([^/]+)\/edit)\/?$/.exec(pathname);
  if (w) {
    const r: CatalogRoute & { view: 'output-type-wizard' } = { view: 'output-type-wizard', target: w[1] ? decode(w[1]) : 'new' };
    const step = params.get('step');
    if (step) r.step = step;
    const wf = params.get('workflow');
    const version = Number(params.get('version'));
    if (wf && Number.isInteger(version) && version > 0) r.workflow = { id: wf, version };
    const rollout = params.get('rollout');
    if (rollout) r.rollout = rollout;
    return r;
  }
  if (/^\/products\/?$/.test(pathname)) return { view: 'products' };
  const p = /^\/products\/([^/]+)\/?$/.exec(pathname);
  if (p) return { view: 'product', id: decode(p[1]) };
  if (/^\/orders\/?$/.test(pathname)) return { view: 'orders' };
  if (/^\/orders\/new\/?$/.test(pathname)) {
    const product = params.get('product');
    return product ? { view: 'order-new', product } : { view: 'order-new' };
  }
  const o = /^\/orders\/([^/]+)\/?$/.exec(pathname);
  if (o) return { view: 'order', id: decode(o[1]) };
  const s = /^\/settings(?:\/([^/]+))?\/?$/.exec(pathname);
  if (s && (!s[1] || (SETTINGS_PAGES as readonly string[]).includes(s[1]))) return { view: 'settings', page: (s[1] as SettingsPage | undefined) ?? SETTINGS_PAGES[0] };
  const lib = /^\/settings\/material-libraries\/([^/]+)\/?$/.exec(pathname);
  if (lib) return { view: 'material-library', name: decode(lib[1]) };
  const t = /^\/settings\/templates\/([^/]+)\/?$/.exec(pathname);
  if (t) return { view: 'template', key: decode(t[1]) };
  return null;
}

export function parseRoute(pathname: string, search = ''): Route {
  const params = new URLSearchParams(search);
  const cat = catalogRoute(pathname, params);
  if (cat) return cat;
  if (/^\/runs\/?$/.test(pathname)) {
    const status = params.get('status') as RunStatus | null;
    return status && RUN_STATUSES.includes(status) ? { view: 'runs', status } : { view: 'runs' };
  }
  const m = /^\/runs\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    const id = decode(m[1]);
    const node = params.get('node');
    return node ? { view: 'run', id, node } : { view: 'run', id };
  }
  const newFamily = pathname === '/' || /^\/workflows\/?$/.test(pathname) ? params.get('new') : null;
  if (newFamily) {
    const returnTo = params.get('return');
    // Only a path of this app, so a crafted link cannot send the user elsewhere.
    return returnTo && returnTo.startsWith('/') && !returnTo.startsWith('//') ? { view: 'editor', newFamily, returnTo } : { view: 'editor', newFamily };
  }
  // The editor's own URLs; anything else is a page that does not exist.
  if (/^\/workflows(?:\/[^/]+(?:\/versions\/\d+)?)?\/?$/.test(pathname)) return { view: 'editor' };
  return { view: 'not-found', path: pathname };
}

/** The URL of a route; the editor's URL is the editor's business (EDITOR_URL here). */
export function routeUrl(route: Route): string {
  switch (route.view) {
    case 'runs':
      return route.status ? `/runs?status=${route.status}` : '/runs';
    case 'run':
      return `/runs/${encodeURIComponent(route.id)}${route.node ? `?node=${encodeURIComponent(route.node)}` : ''}`;
    case 'output-types':
      return '/output-types';
    case 'output-type-wizard': {
      const q = new URLSearchParams();
      if (route.step) q.set('step', route.step);
      if (route.workflow) {
        q.set('workflow', route.workflow.id);
        q.set('version', String(route.workflow.version));
      }
      if (route.rollout) q.set('rollout', route.rollout);
      const base = route.target === 'new' ? '/output-types/new' : `/output-types/${encodeURIComponent(route.target)}/edit`;
      return q.toString() ? `${base}?${q}` : base;
    }
    case 'products':
      return '/products';
    case 'product':
      return `/products/${encodeURIComponent(route.id)}`;
    case 'orders':
      return '/orders';
    case 'order-new':
      return route.product ? `/orders/new?product=${encodeURIComponent(route.product)}` : '/orders/new';
    case 'order':
      return `/orders/${encodeURIComponent(route.id)}`;
    case 'settings':
      return `/settings/${route.page}`;
    case 'material-library':
      return `/settings/material-libraries/${encodeURIComponent(route.name)}`;
    case 'template':
      return `/settings/templates/${encodeURIComponent(route.key)}`;
    case 'editor':
      return route.newFamily ? `${EDITOR_URL}?${new URLSearchParams({ new: route.newFamily, ...(route.returnTo ? { return: route.returnTo } : {}) })}` : EDITOR_URL;
    case 'home':
      return '/';
    case 'api-docs':
      return '/api/docs';
    default:
      return '/';
  }
}

/** The editor's URL of a workflow: "/workflows/ID", or ".../versions/N" for a read-only old version; EDITOR_URL when none is open. */
export function workflowUrl(id?: string, version?: number, readOnly?: boolean): string {
  if (!id) return EDITOR_URL;
  return readOnly && version ? `/workflows/${encodeURIComponent(id)}/versions/${version}` : `/workflows/${encodeURIComponent(id)}`;
}

/** The workflow (and version) an editor URL names, or null when it names none. */
export function parseWorkflowUrl(path: string): { id: string; version?: number } | null {
  const m = /^\/workflows\/([^/]+)(?:\/versions\/(\d+))?\/?$/.exec(path);
  return m ? { id: decode(m[1]), version: m[2] ? Number(m[2]) : undefined } : null;
}

export type Navigate = (url: string, opts?: { replace?: boolean }) => void;

/** The current route, following pushState navigation and the back button. */
export function useRoute(): [Route, Navigate] {
  const read = () => parseRoute(window.location.pathname, window.location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const onPop = () => setRoute(read());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback<Navigate>((url, opts) => {
    if (opts?.replace) window.history.replaceState(null, '', url);
    else if (url !== window.location.pathname + window.location.search) window.history.pushState(null, '', url);
    setRoute(read());
  }, []);
  return [route, navigate];
}
