// After a save makes version N of a workflow: the output types that still pin
// an older version of it, and moving each of them to N. Pure: the banner
// (components/VersionMoves.tsx) fetches and PUTs; what to send and how a
// refusal reads are decided here.
import { parsePointer } from './problems';
import { isEditConflict } from './settings';
import type { OutputType, PointerProblem } from './types';
import { stepOfField, wizardUrl } from './wizard';
import { pointerWords } from './words';

/** Where one output type stands: still on its old version, being moved, moved, or refused. */
export type MoveState = { kind: 'pinned' } | { kind: 'moving' } | { kind: 'moved' } | { kind: 'refused'; words: string; fix: string };

export interface PinnedType {
  key: string;
  name: string;
  /** the version it pins now */
  from: number;
  /** the document as listed, sent back with its revision so a newer write is not lost */
  doc: OutputType;
  state: MoveState;
}

/** The output types that pin workflow `id` at a version before `version`, by name. */
export function olderPins(types: readonly OutputType[], id: string, version: number): PinnedType[] {
  return types
    .filter((t) => t.workflow?.id === id && t.workflow.version < version)
    .map((t) => ({ key: t.key, name: t.name, from: t.workflow!.version, doc: t, state: { kind: 'pinned' } as MoveState }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.key.localeCompare(b.key));
}

/**
 * The PUT body that moves an output type to `version`: the document as
 * listed with only the version changed. Its revision stays, so the server
 * refuses the move (409) if someone saved the output type meanwhile; the
 * served-only legacy mapping is not sent back.
 */
export function moveBody(doc: OutputType, version: number): OutputType {
  const { legacy_mapping: _served, ...rest } = doc;
  return { ...rest, workflow: { id: doc.workflow!.id, version } };
}

/** Why the server refused a move, in words; never a server path, only the document's fields. */
export function refusalWords(f: { status?: number; message?: string; errors?: readonly PointerProblem[] }, id: string, version: number): string {
  const errors = f.errors ?? [];
  if (isEditConflict({ status: f.status ?? 0, errors })) return 'Not moved: someone changed this output type since the list was loaded. Open it on the output types page.';
  if (f.status === 422 && errors.length) {
    const parts = errors.map((e) => `${pointerWords(e.pointer)}: ${e.message}`);
    return `Not moved: ${id} v${version} does not fit it. ${parts.join('; ')}.`;
  }
  return `Not moved: ${f.message || 'the server refused it'}.`;
}

/**
 * Where a refused move is fixed by hand: the output-type wizard with the new
 * version already chosen, at the step of the first problem (the overrides
 * step for an override the new version lacks).
 */
export function fixUrl(key: string, id: string, version: number, errors: readonly PointerProblem[] = []): string {
  const step = stepOfField(parsePointer(errors[0]?.pointer ?? '')[0]);
  return wizardUrl(key, step, { workflow: { id, version } });
}

/** The rows "move all" takes: those still on their old version (a refused one would be refused again). */
export function stillPinned(rows: readonly PinnedType[]): PinnedType[] {
  return rows.filter((r) => r.state.kind === 'pinned');
}

/** The banner's headline. */
export function movesHeadline(rows: readonly PinnedType[], id: string, version: number): string {
  const left = rows.filter((r) => r.state.kind !== 'moved').length;
  if (!left) return `Every output type that used ${id} now uses v${version}.`;
  const n = `${left} output type${left === 1 ? '' : 's'}`;
  return `${n} still use${left === 1 ? 's' : ''} an older version of ${id}.`;
}

/** One row's state replaced, the others kept. */
export function withState(rows: readonly PinnedType[], key: string, state: MoveState): PinnedType[] {
  return rows.map((r) => (r.key === key ? { ...r, state } : r));
}
