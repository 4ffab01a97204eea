import { describe, expect, it } from 'vitest';
import { applyProgressEvent, formatEta, formatSeconds, LOG_KEEP, mergeFetchedRun, mergeLog, parseProgressEvent, progressView, runningProgress, staleFetch } from './progress';
import type { RunDetail } from './types';

const run = (nodes: RunDetail['nodes']): RunDetail => ({
  id: 'r1',
  family: 'order_line',
  status: 'running',
  nodes,
  doc: { workflow: { id: 'w', version: 1, family: 'order_line', nodes: [{ id: 'a', step: 's' }, { id: 'b', step: 's' }], edges: [] } as never },
});

describe('formatSeconds and formatEta', () => {
  it('says durations the way people do', () => {
    expect(formatSeconds(7.9)).toBe('7 s');
    expect(formatSeconds(65)).toBe('1 min 05 s');
    expect(formatSeconds(3725)).toBe('1 h 02 min');
    expect(formatSeconds(undefined)).toBe('');
    expect(formatSeconds(-1)).toBe('');
  });
  it('rounds estimates as far as they deserve', () => {
    expect(formatEta(2)).toBe('almost done');
    expect(formatEta(12)).toBe('about 10 s left');
    expect(formatEta(58)).toBe('about 60 s left');
    expect(formatEta(110)).toBe('about 2 min left');
    expect(formatEta(3590)).toBe('about 1 h left');
    expect(formatEta(4200)).toBe('about 1 h 10 min left');
    expect(formatEta(undefined)).toBe('');
    expect(formatEta(NaN)).toBe('');
  });
});

describe('parseProgressEvent', () => {
  it('takes the stream’s progress events', () => {
    expect(parseProgressEvent(JSON.stringify({ node: 'a', entry: { at: 't1', message: 'sample 1 of 4', fraction: 0.25 }, elapsed_s: 3, fraction: 0.25, eta_s: 9, message: 'sample 1 of 4' }))).toEqual({
      type: 'progress',
      node: 'a',
      entry: { at: 't1', message: 'sample 1 of 4', fraction: 0.25 },
      elapsed_s: 3,
      fraction: 0.25,
      eta_s: 9,
      message: 'sample 1 of 4',
    });
  });
  it('refuses what is not one, and clamps fractions', () => {
    expect(parseProgressEvent('nope')).toBeNull();
    expect(parseProgressEvent(JSON.stringify({ node: 'a' }))).toBeNull();
    expect(parseProgressEvent(JSON.stringify({ entry: { message: 'x' } }))).toBeNull();
    expect(parseProgressEvent(JSON.stringify({ node: 'a', entry: { message: 'x' }, fraction: 1.5, eta_s: -3 }))).toMatchObject({ fraction: 1, eta_s: 0 });
  });
});

describe('merging progress', () => {
  it('applies an event to a running node and grows its log', () => {
    const r0 = run({ a: { status: 'running' }, b: { status: 'pending' } });
    const e1 = parseProgressEvent(JSON.stringify({ node: 'a', entry: { at: 't1', message: 'starting Blender' }, elapsed_s: 1 }))!;
    const r1 = applyProgressEvent(r0, e1, 1000);
    expect(r1.nodes!.a.progress).toMatchObject({ message: 'starting Blender', elapsed_s: 1, seen_ms: 1000, log: [{ message: 'starting Blender' }] });
    expect(r1.nodes!.a.progress!.fraction).toBeUndefined();
    const e2 = parseProgressEvent(JSON.stringify({ node: 'a', entry: { at: 't2', message: 'sample 1 of 4', fraction: 0.25 }, elapsed_s: 2, fraction: 0.25, eta_s: 6, message: 'sample 1 of 4' }))!;
    const r2 = applyProgressEvent(r1, e2, 2000);
    expect(r2.nodes!.a.progress).toMatchObject({ message: 'sample 1 of 4', fraction: 0.25, eta_s: 6 });
    expect(r2.nodes!.a.progress!.log!.map((l) => l.message)).toEqual(['starting Blender', 'sample 1 of 4']);
    // the same entry again changes nothing in the log
    expect(applyProgressEvent(r2, e2, 2500).nodes!.a.progress!.log).toHaveLength(2);
    // a node that finished takes no progress
    const done = run({ a: { status: 'succeeded' } });
    expect(applyProgressEvent(done, e2, 3000)).toBe(done);
  });

  it('keeps the log the page saw when a fetched run has only the latest entries', () => {
    const entries = Array.from({ length: 30 }, (_, i) => ({ at: `t${i}`, message: `frame ${i + 1} of 36` }));
    const prev = run({ a: { status: 'running', progress: { log: entries.slice(0, 25) } } });
    const fetched = run({ a: { status: 'running', progress: { elapsed_s: 40, log: entries.slice(10, 30) } }, b: { status: 'succeeded', progress: { message: 'stale' } } });
    const merged = mergeFetchedRun(prev, fetched, 5000);
    expect(merged.nodes!.a.progress!.log).toEqual(entries);
    expect(merged.nodes!.a.progress!.seen_ms).toBe(5000);
    expect(merged.nodes!.b.progress).toBeUndefined();
    // another run's log is not continued
    expect(mergeFetchedRun({ ...prev, id: 'other' }, fetched, 5000).nodes!.a.progress!.log).toHaveLength(20);
  });

  it('keeps at most LOG_KEEP entries', () => {
    const many = Array.from({ length: LOG_KEEP + 10 }, (_, i) => ({ message: `m${i}` }));
    const log = mergeLog([], many);
    expect(log).toHaveLength(LOG_KEEP);
    expect(log.at(-1)!.message).toBe(`m${LOG_KEEP + 9}`);
  });
});

describe('progressView', () => {
  it('counts elapsed time on and the estimate down between reports', () => {
    const v = progressView({ elapsed_s: 10, fraction: 0.5, eta_s: 130, message: 'frame 18 of 36', seen_ms: 1000 }, 11000);
    expect(v).toEqual({ fraction: 0.5, percent: '50%', message: 'frame 18 of 36', elapsed: '20 s', eta: 'about 2 min left' });
  });
  it('is indeterminate without a fraction, and says something before the first report', () => {
    expect(progressView({ elapsed_s: 1, message: 'starting Blender', seen_ms: 0 }, 0)).toMatchObject({ fraction: undefined, percent: '', eta: '', message: 'starting Blender' });
    expect(progressView(undefined, 0)).toMatchObject({ message: 'starting…', elapsed: '' });
  });
});

describe('runningProgress', () => {
  it('lists running nodes in workflow order', () => {
    const r = run({ b: { status: 'running', progress: { message: 'x' } }, a: { status: 'running' } });
    expect(runningProgress(r).map((p) => p.node)).toEqual(['a', 'b']);
    expect(runningProgress(null)).toEqual([]);
  });
});

describe('staleFetch', () => {
  const running = { id: 'run_1', status: 'running' } as unknown as RunDetail;
  const done = { id: 'run_1', status: 'succeeded' } as unknown as RunDetail;
  it.each([
    ['sent before the end, says running: dropped', 3, 5, running, true],
    ['sent before the end, says ended: kept', 3, 5, done, false],
    ['sent after the end (a re-run elsewhere): kept', 6, 5, running, false],
    ['no end seen yet: kept', 3, 0, running, false],
  ])('%s', (_what, sent, endSeen, next, stale) => {
    expect(staleFetch(sent as number, endSeen as number, next as RunDetail)).toBe(stale);
  });
});
