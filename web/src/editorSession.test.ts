import { describe, expect, it } from 'vitest';
import { isDirty, logicJson, outgoing, type EditSession } from './editorSession';
import type { WorkflowDoc } from './types';

const doc: WorkflowDoc = {
  schema: 'prodflow.workflow/v1',
  id: 'w',
  name: 'W',
  family: 'cad_file',
  version: 7,
  nodes: [{ id: 'a', step: 's', params: {}, ui: { x: 1, y: 2 } }],
  edges: [],
  invocation: { params: {}, artifacts: {} },
};
const edit: EditSession = { mode: 'edit', baseVersion: 3, savedJson: 'X' };

describe('logicJson', () => {
  it('ignores where nodes are drawn and the version saved over', () => {
    const moved = { ...doc, nodes: [{ ...doc.nodes[0], ui: { x: 9, y: 9 } }] };
    expect(logicJson(moved)).toBe(logicJson(doc));
    expect(logicJson({ ...doc, version: 8 })).toBe(logicJson(doc));
    expect(logicJson({ ...doc, name: 'Other' })).not.toBe(logicJson(doc));
  });
});

describe('isDirty', () => {
  it('is never dirty without a session or read-only, always when new', () => {
    expect(isDirty(null, 'X')).toBe(false);
    expect(isDirty({ ...edit, mode: 'readonly' }, 'Y')).toBe(false);
    expect(isDirty({ ...edit, mode: 'new' }, 'X')).toBe(true);
  });
  it('compares with what was saved', () => {
    expect(isDirty(edit, 'X')).toBe(false);
    expect(isDirty(edit, 'Y')).toBe(true);
  });
});

describe('outgoing', () => {
  it('sends no version when new, the edited version otherwise, and leaves the document alone', () => {
    expect('version' in outgoing(doc, { ...edit, mode: 'new' })).toBe(false);
    expect(outgoing(doc, edit).version).toBe(3);
    expect(doc.version).toBe(7);
  });
});
