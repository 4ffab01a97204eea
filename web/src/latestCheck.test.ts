import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { latestCheck, needsCheck } from './latestCheck';

/** A check whose answers the test releases one by one. */
function deferredCheck() {
  const calls: { payload: string; resolve: (r: string) => void; reject: (e: Error) => void }[] = [];
  const check = vi.fn(
    (payload: string) =>
      new Promise<string>((resolve, reject) => {
        calls.push({ payload, resolve, reject });
      }),
  );
  return { check, calls };
}

describe('latestCheck', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('checks once the asking pauses, with the last payload', async () => {
    const { check, calls } = deferredCheck();
    const apply = vi.fn();
    const c = latestCheck(500, check, apply);
    c.request('a', 'A');
    vi.advanceTimersByTime(300);
    c.request('b', 'B');
    vi.advanceTimersByTime(300);
    c.request('c', 'C');
    vi.advanceTimersByTime(499);
    expect(check).not.toHaveBeenCalled();
    expect(c.pending()).toBe('c');
    vi.advanceTimersByTime(1);
    expect(check).toHaveBeenCalledTimes(1);
    expect(calls[0].payload).toBe('C');
    calls[0].resolve('ok C');
    await vi.runAllTimersAsync();
    expect(apply).toHaveBeenCalledWith('c', 'ok C');
    expect(c.pending()).toBeUndefined();
  });

  it('drops an answer about an older graph that arrives after a newer ask', async () => {
    const { check, calls } = deferredCheck();
    const apply = vi.fn();
    const c = latestCheck(100, check, apply);
    c.request('old', 'OLD');
    vi.advanceTimersByTime(100); // the old check is in flight
    c.request('new', 'NEW');
    vi.advanceTimersByTime(100);
    calls[1].resolve('fresh');
    calls[0].resolve('stale'); // slower, older
    await vi.runAllTimersAsync();
    expect(apply).toHaveBeenCalledTimes(1);
    expect(apply).toHaveBeenCalledWith('new', 'fresh');
  });

  it('applies nothing once cancelled, and reports failures of the latest ask', async () => {
    const { check, calls } = deferredCheck();
    const apply = vi.fn();
    const fail = vi.fn();
    const c = latestCheck(100, check, apply, fail);
    c.request('a', 'A');
    c.cancel();
    vi.advanceTimersByTime(1000);
    expect(check).not.toHaveBeenCalled();
    c.request('b', 'B');
    vi.advanceTimersByTime(100);
    c.cancel();
    calls[0].resolve('late');
    await vi.runAllTimersAsync();
    expect(apply).not.toHaveBeenCalled();
    c.request('c', 'C');
    vi.advanceTimersByTime(100);
    calls[1].reject(new Error('offline'));
    await vi.runAllTimersAsync();
    expect(fail).toHaveBeenCalledWith('c', new Error('offline'));
  });
});

describe('needsCheck', () => {
  it('asks for the graph when it differs from what the problems are about', () => {
    expect(needsCheck('L2', 'L1', 'L0')).toBe('L2');
    expect(needsCheck('L1', 'L1', 'L0')).toBeUndefined();
  });
  it('leaves a graph as it was opened alone until it changes, even back to it by undo after a check', () => {
    expect(needsCheck('L0', null, 'L0')).toBeUndefined();
    expect(needsCheck('L1', null, 'L0')).toBe('L1');
    expect(needsCheck('L0', 'L1', 'L0')).toBe('L0');
  });
  it('has nothing to check without a graph', () => {
    expect(needsCheck('', null, null)).toBeUndefined();
  });
});
