import { describe, expect, it } from 'vitest';
import { COALESCE_MS, commitFrom, createHistory, record, redo, replace, undo } from './history';

describe('history', () => {
  it('undoes and redoes recorded steps', () => {
    let h = createHistory(1);
    h = record(h, 2);
    h = record(h, 3);
    h = undo(h);
    expect(h.present).toBe(2);
    h = undo(h);
    expect(h.present).toBe(1);
    expect(undo(h)).toBe(h);
    h = redo(h);
    expect(h.present).toBe(2);
    h = record(h, 9);
    expect(h.future).toEqual([]);
  });
  it('coalesces quick edits with one key', () => {
    let h = createHistory('');
    h = record(h, 'a', 'name', 1000);
    h = record(h, 'ab', 'name', 1000 + COALESCE_MS / 2);
    h = record(h, 'abc', 'other', 1000 + COALESCE_MS);
    expect(h.past).toEqual(['', 'ab']);
  });
  it('replaces without a step, and commits a drag as one step', () => {
    let h = createHistory({ x: 0 });
    const before = h.present;
    h = replace(h, { x: 5 });
    h = replace(h, { x: 10 });
    expect(h.past).toEqual([]);
    h = commitFrom(h, before);
    expect(undo(h).present).toEqual({ x: 0 });
  });
});
