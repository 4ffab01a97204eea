// The app's top-level views and their URLs. The editor owns "/" and
// "/workflows/…" (it keeps its own URL up to date); the run view owns "/runs"
// (the list, "?status=" filters it) and "/runs/{id}" ("?node=" names the
// node whose details are open).
import { useCallback, useEffect, useState } from 'react';
import type { RunStatus } from './types';

export const RUN_STATUSES: readonly RunStatus[] = ['running', 'succeeded', 'failed', 'cancelled'];

export type Route = { view: 'editor' } | { view: 'runs'; status?: RunStatus } | { view: 'run'; id: string; node?: string };

export function parseRoute(pathname: string, search = ''): Route {
  const params = new URLSearchParams(search);
  if (/^\/runs\/?$/.test(pathname)) {
    const status = params.get('status') as RunStatus | null;
    return status && RUN_STATUSES.includes(status) ? { view: 'runs', status } : { view: 'runs' };
  }
  const m = /^\/runs\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    let id = m[1];
    try {
      id = decodeURIComponent(id);
    } catch {
      /* a malformed escape: keep it as written */
    }
    const node = params.get('node');
    return node ? { view: 'run', id, node } : { view: 'run', id };
  }
  return { view: 'editor' };
}

/** The URL of a run view route; the editor's URL is the editor's business ("/" here). */
export function routeUrl(route: Route): string {
  switch (route.view) {
    case 'runs':
      return route.status ? `/runs?status=${route.status}` : '/runs';
    case 'run':
      return `/runs/${encodeURIComponent(route.id)}${route.node ? `?node=${encodeURIComponent(route.node)}` : ''}`;
    default:
      return '/';
  }
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
