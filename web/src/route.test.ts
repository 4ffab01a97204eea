import { describe, expect, it } from 'vitest';
import { parseRoute, routeUrl } from './route';

describe('parseRoute', () => {
  it('leaves the editor its paths', () => {
    for (const p of ['/', '/workflows/x', '/workflows/x/versions/2', '/runsx', '/runs/a/b']) expect(parseRoute(p), p).toEqual({ view: 'editor' });
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
