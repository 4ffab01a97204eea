import { describe, expect, it } from 'vitest';
import type { OutputType } from './types';
import { fixUrl, moveBody, movesHeadline, olderPins, refusalWords, stillPinned, withState } from './versionMoves';

const ot = (key: string, name: string, workflow: OutputType['workflow'], more: Partial<OutputType> = {}): OutputType => ({ key, name, workflow, ...more });

describe('versionMoves', () => {
  const types = [
    ot('b_still', 'B still', { id: 'wf', version: 1 }),
    ot('a_still', 'A still', { id: 'wf', version: 2 }),
    ot('current', 'Current', { id: 'wf', version: 3 }),
    ot('other', 'Other', { id: 'other_wf', version: 1 }),
    ot('legacy', 'Legacy', null),
    ot('unlinked', 'Unlinked', undefined),
  ];

  it('lists the output types on an older version of this workflow only, by name', () => {
    const rows = olderPins(types, 'wf', 3);
    expect(rows.map((r) => [r.key, r.from])).toEqual([
      ['a_still', 2],
      ['b_still', 1],
    ]);
    expect(rows.every((r) => r.state.kind === 'pinned')).toBe(true);
    expect(olderPins(types, 'wf', 1)).toEqual([]);
    expect(olderPins(types, 'nobody', 5)).toEqual([]);
  });

  it('moves by changing the version only, keeping the revision and dropping the served mapping', () => {
    const doc = ot('s', 'S', { id: 'wf', version: 1 }, { revision: 4, overrides: { samples: 8 }, legacy_mapping: { artifact_kind: 'still_image' } });
    const body = moveBody(doc, 3);
    expect(body).toEqual({ key: 's', name: 'S', workflow: { id: 'wf', version: 3 }, revision: 4, overrides: { samples: 8 } });
    expect(doc.workflow).toEqual({ id: 'wf', version: 1 });
  });

  it('says why a move was refused, in words and without server paths', () => {
    const unfit = refusalWords(
      { status: 422, message: 'workflow wf exposes no invocation parameter "samples"', errors: [{ pointer: '/overrides/samples', message: 'workflow wf exposes no invocation parameter "samples"' }] },
      'wf',
      3,
    );
    expect(unfit).toBe('Not moved: wf v3 does not fit it. Overrides › Samples: workflow wf exposes no invocation parameter "samples".');
    const two = refusalWords(
      {
        status: 422,
        errors: [
          { pointer: '/artifact_kind', message: 'workflow wf delivers glb, not still_image' },
          { pointer: '/overrides/width', message: 'must be at least 16' },
        ],
      },
      'wf',
      2,
    );
    expect(two).toContain('Artifact kind: workflow wf delivers glb, not still_image; Overrides › Width: must be at least 16.');
    expect(refusalWords({ status: 409, message: 'changed', errors: [{ pointer: '/revision', message: 'changed' }] }, 'wf', 3)).toMatch(/someone changed this output type/);
    expect(refusalWords({ status: 403, message: 'this needs the editor role' }, 'wf', 3)).toBe('Not moved: this needs the editor role.');
    expect(refusalWords({ status: 0 }, 'wf', 3)).toBe('Not moved: the server refused it.');
  });

  it('sends a refused one to the wizard with the new version chosen, at the step of its first problem', () => {
    expect(fixUrl('s', 'wf', 3, [{ pointer: '/overrides/samples', message: 'x' }])).toBe('/output-types/s/edit?step=overrides&workflow=wf&version=3');
    expect(fixUrl('s', 'wf', 3, [{ pointer: '/artifact_kind', message: 'x' }])).toBe('/output-types/s/edit?step=artifact_kind&workflow=wf&version=3');
    expect(fixUrl('s', 'wf', 3)).toBe('/output-types/s/edit?workflow=wf&version=3');
  });

  it('moves all that are still pinned, and counts what is left', () => {
    let rows = olderPins(types, 'wf', 3);
    expect(movesHeadline(rows, 'wf', 3)).toBe('2 output types still use an older version of wf.');
    rows = withState(rows, 'a_still', { kind: 'moved' });
    expect(stillPinned(rows).map((r) => r.key)).toEqual(['b_still']);
    expect(movesHeadline(rows, 'wf', 3)).toBe('1 output type still uses an older version of wf.');
    rows = withState(rows, 'b_still', { kind: 'refused', words: 'Not moved: x.', fix: '/output-types/b_still/edit' });
    expect(stillPinned(rows)).toEqual([]);
    expect(movesHeadline(rows, 'wf', 3)).toBe('1 output type still uses an older version of wf.');
    rows = withState(rows, 'b_still', { kind: 'moved' });
    expect(movesHeadline(rows, 'wf', 3)).toBe('Every output type that used wf now uses v3.');
  });
});
