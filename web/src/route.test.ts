import { describe, expect, it } from 'vitest';
import { parseRoute, parseWorkflowUrl, routeUrl, sectionOf, workflowUrl } from './route';

describe('parseRoute', () => {
  it('leaves the editor its paths', () => {
    for (const p of ['/workflows', '/workflows/', '/workflows/x', '/workflows/x/versions/2']) expect(parseRoute(p), p).toEqual({ view: 'editor' });
  });
  it('opens the home page at "/" and the API reference at /api/docs', () => {
    expect(parseRoute('/')).toEqual({ view: 'home' });
    expect(parseRoute('/index.html')).toEqual({ view: 'home' });
    expect(parseRoute('/api/docs')).toEqual({ view: 'api-docs' });
    expect(routeUrl({ view: 'home' })).toBe('/');
    expect(routeUrl({ view: 'api-docs' })).toBe('/api/docs');
    expect(routeUrl({ view: 'editor' })).toBe('/workflows');
    expect(parseRoute('/workflows', '?new=cad_file')).toEqual({ view: 'editor', newFamily: 'cad_file' });
    for (const p of ['/runsx', '/runs/a/b', '/nope', '/api/docsx', '/workflows/x/versions/two']) expect(parseRoute(p), p).toEqual({ view: 'not-found', path: p });
    expect(parseRoute('/orders/new', '?product=prd_1')).toEqual({ view: 'order-new', product: 'prd_1' });
    expect(routeUrl({ view: 'order-new', product: 'prd 1' })).toBe('/orders/new?product=prd%201');
  });
  it('reads the run list and its status filter', () => {
    expect(parseRoute('/runs')).toEqual({ view: 'runs' });
    expect(parseRoute('/runs/', '?status=failed')).toEqual({ view: 'runs', status: 'failed' });
    expect(parseRoute('/runs', '?status=bogus')).toEqual({ view: 'runs' });
  });
  it('reads a run and its selected node', () => {
    expect(parseRoute('/runs/run_01ABC')).toEqual({ view: 'run', id: 'run_01ABC' });
    expect(parseRoute('/runs/run_01ABC', '?node=thumbnail')).toEqual({ view: 'run', id: 'run_01ABC', node: 'thumbnail' });
    expect(parseRoute('/runs/a%20b')).toEqual({ view: 'run', id: 'a b' });
    expect(parseRoute('/runs/%E0%A4%A')).toEqual({ view: 'run', id: '%E0%A4%A' });
  });
});

describe('routeUrl', () => {
  it('round-trips through parseRoute', () => {
    for (const r of [{ view: 'runs' }, { view: 'runs', status: 'cancelled' }, { view: 'run', id: 'run 1/x' }, { view: 'run', id: 'r', node: 'a&b' }] as const) {
      const url = new URL(routeUrl(r), 'http://127.0.0.1');
      expect(parseRoute(url.pathname, url.search)).toEqual(r);
    }
  });
});

describe('catalog routes', () => {
  it('reads the catalog sections', () => {
    expect(parseRoute('/output-types')).toEqual({ view: 'output-types' });
    expect(parseRoute('/output-types/new', '?step=overrides')).toEqual({ view: 'output-type-wizard', target: 'new', step: 'overrides' });
    expect(parseRoute('/output-types/studio_still/edit', '?step=workflow&rollout=shadow')).toEqual({ view: 'output-type-wizard', target: 'studio_still', step: 'workflow', rollout: 'shadow' });
    expect(parseRoute('/output-types/new', '?workflow=w&version=2')).toEqual({ view: 'output-type-wizard', target: 'new', workflow: { id: 'w', version: 2 } });
    expect(parseRoute('/output-types/new', '?workflow=w&version=0')).toEqual({ view: 'output-type-wizard', target: 'new' });
    expect(parseRoute('/products/prd_1')).toEqual({ view: 'product', id: 'prd_1' });
    expect(parseRoute('/orders/new')).toEqual({ view: 'order-new' });
    expect(parseRoute('/orders/ord_1')).toEqual({ view: 'order', id: 'ord_1' });
  });
  it('asks the editor for a new workflow, returning only inside the app', () => {
    expect(parseRoute('/', '?new=order_line&return=%2Foutput-types%2Fnew%3Fstep%3Dworkflow')).toEqual({ view: 'editor', newFamily: 'order_line', returnTo: '/output-types/new?step=workflow' });
    expect(parseRoute('/', '?new=order_line&return=https://evil.example/')).toEqual({ view: 'editor', newFamily: 'order_line' });
    expect(parseRoute('/', '?new=order_line&return=//evil.example/')).toEqual({ view: 'editor', newFamily: 'order_line' });
  });
  it('round-trips through routeUrl', () => {
    const routes = [
      { view: 'output-types' },
      { view: 'output-type-wizard', target: 'a b', step: 'review' },
      { view: 'output-type-wizard', target: 'new', workflow: { id: 'w', version: 3 }, rollout: 'graph' },
      { view: 'products' },
      { view: 'product', id: 'p/1' },
      { view: 'orders' },
      { view: 'order-new' },
      { view: 'order', id: 'o' },
      { view: 'editor', newFamily: 'cad_file', returnTo: '/output-types/new?step=workflow&resume=1' },
      { view: 'settings', page: 'pricing-tiers' },
      { view: 'material-library', name: 'studio/2' },
      { view: 'template', key: 'studio_white' },
    ] as const;
    for (const r of routes) {
      const url = new URL(routeUrl(r), 'http://127.0.0.1');
      expect(parseRoute(url.pathname, url.search), routeUrl(r)).toEqual(r);
    }
  });
});

describe('settings routes', () => {
  it('opens the first page at /settings and reads each page and file', () => {
    expect(parseRoute('/settings')).toEqual({ view: 'settings', page: 'categories' });
    expect(parseRoute('/settings/')).toEqual({ view: 'settings', page: 'categories' });
    expect(parseRoute('/settings/templates')).toEqual({ view: 'settings', page: 'templates' });
    expect(parseRoute('/settings/material-libraries/default')).toEqual({ view: 'material-library', name: 'default' });
    expect(parseRoute('/settings/templates/studio_white/')).toEqual({ view: 'template', key: 'studio_white' });
    expect(parseRoute('/settings/bogus')).toEqual({ view: 'not-found', path: '/settings/bogus' });
  });
  it('belongs to the Settings section', () => {
    for (const p of ['/settings', '/settings/material-libraries/x', '/settings/templates/y']) expect(sectionOf(parseRoute(p)), p).toBe('settings');
  });
});

describe('workflow URLs', () => {
  it('name the workflow, and an old version only when read-only', () => {
    expect(workflowUrl()).toBe('/workflows');
    expect(workflowUrl('a b')).toBe('/workflows/a%20b');
    expect(workflowUrl('w', 3)).toBe('/workflows/w');
    expect(workflowUrl('w', 3, true)).toBe('/workflows/w/versions/3');
  });
  it('read back what they wrote', () => {
    expect(parseWorkflowUrl('/workflows/a%20b')).toEqual({ id: 'a b', version: undefined });
    expect(parseWorkflowUrl('/workflows/w/versions/3/')).toEqual({ id: 'w', version: 3 });
    expect(parseWorkflowUrl('/workflows/%E0%A4%A')).toEqual({ id: '%E0%A4%A', version: undefined });
    expect(parseWorkflowUrl('/runs/x')).toBeNull();
    expect(parseWorkflowUrl('/')).toBeNull();
  });
});
