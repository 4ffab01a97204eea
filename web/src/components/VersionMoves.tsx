// After a save that made a new version of a workflow: the output types that
// still pin an older version, each with a button that moves it to the new
// one, and "move all". The server checks each move as any output-type save
// (the new version must still take its overrides and deliver its kind); a
// refusal is shown in words on its row. Nothing shows when no output type
// is behind.
import { useEffect, useState } from 'react';
import { api, type ApiFailure } from '../api';
import { fixUrl, moveBody, movesHeadline, olderPins, refusalWords, stillPinned, withState, type PinnedType } from '../versionMoves';

export interface VersionMovesProps {
  workflowId: string;
  /** the version the save just made */
  version: number;
  onClose: () => void;
  /** go to another page of the app (the wizard, to fix a refused move by hand) */
  onNavigate: (url: string) => void;
  /** another notice holds the canvas's top (the wizard's way back, a conflict): sit under it */
  lower?: boolean;
}

export function VersionMoves({ workflowId, version, onClose, onNavigate, lower }: VersionMovesProps) {
  const [rows, setRows] = useState<PinnedType[] | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    api.outputTypes().then(
      (r) => live && setRows(olderPins(r.output_types, workflowId, version)),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [workflowId, version]);

  const move = async (row: PinnedType) => {
    setRows((rs) => rs && withState(rs, row.key, { kind: 'moving' }));
    try {
      await api.updateOutputType(row.key, moveBody(row.doc, version));
      setRows((rs) => rs && withState(rs, row.key, { kind: 'moved' }));
    } catch (e) {
      const f = e as ApiFailure;
      const refused = { kind: 'refused' as const, words: refusalWords(f, workflowId, version), fix: fixUrl(row.key, workflowId, version, f.errors) };
      setRows((rs) => rs && withState(rs, row.key, refused));
    }
  };

  // One after the other: each is its own save, and each row shows its own outcome.
  const moveAll = async () => {
    if (!rows) return;
    setBusy(true);
    try {
      for (const r of stillPinned(rows)) await move(r);
    } finally {
      setBusy(false);
    }
  };

  if (error)
    return (
      <div className={`canvas-banner banner-moves${lower ? ' banner-lower' : ''}`} role="status" data-testid="moves-banner">
        <span>Saved v{version}, but the output types that use {workflowId} cannot be listed: {error}</span>
        <span className="banner-actions">
          <button type="button" onClick={onClose}>
            Close
          </button>
        </span>
      </div>
    );
  if (!rows || rows.length === 0) return null;
  const pinned = stillPinned(rows);
  return (
    <div className={`canvas-banner banner-moves${lower ? ' banner-lower' : ''}`} role="status" data-testid="moves-banner">
      <div className="moves-head">
        <span data-testid="moves-headline">{movesHeadline(rows, workflowId, version)}</span>
        <span className="banner-actions">
          {pinned.length > 1 && (
            <button type="button" className="primary" disabled={busy} onClick={moveAll} data-testid="moves-all">
              Move all to v{version}
            </button>
          )}
          <button type="button" onClick={onClose} data-testid="moves-close">
            {pinned.length ? 'Leave them' : 'Close'}
          </button>
        </span>
      </div>
      <ul className="moves-list">
        {rows.map((r) => (
          <MoveRow key={r.key} row={r} version={version} busy={busy} onMove={() => move(r)} onNavigate={onNavigate} />
        ))}
      </ul>
    </div>
  );
}

function MoveRow({ row, version, busy, onMove, onNavigate }: { row: PinnedType; version: number; busy: boolean; onMove: () => void; onNavigate: (url: string) => void }) {
  const st = row.state;
  return (
    <li data-testid={`moves-row-${row.key}`} data-state={st.kind}>
      <span className="moves-name">
        <strong>{row.name}</strong> <span className="mono small muted">{row.key}</span>
      </span>
      <span className="badge badge-version">v{st.kind === 'moved' ? version : row.from}</span>
      {st.kind === 'pinned' && (
        <button type="button" disabled={busy} onClick={onMove} data-testid={`moves-one-${row.key}`}>
          Move to v{version}
        </button>
      )}
      {st.kind === 'moving' && <span className="muted small">Moving…</span>}
      {st.kind === 'moved' && <span className="moves-done small">Moved from v{row.from}</span>}
      {st.kind === 'refused' && (
        <>
          <span className="moves-refused small" role="alert" data-testid={`moves-refused-${row.key}`}>
            {st.words}
          </span>
          <button type="button" onClick={() => onNavigate(st.fix)} data-testid={`moves-fix-${row.key}`}>
            Fix in the wizard
          </button>
        </>
      )}
    </li>
  );
}
