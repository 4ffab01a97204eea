// The runs, newest first, filtered by status, with the Start-run dialog. The
// list refreshes itself while some listed run is still running.
import { statusLabel } from '../words';
import { useCallback, useEffect, useState } from 'react';
import { api } from '../api';
import { RUN_STATUSES } from '../route';
import { formatDuration, formatWhen, runDuration, subjectText } from '../runs';
import type { RunPicture } from '../deliverables';
import type { Family, RunStatus, RunSummary } from '../types';
import { useRunPreviews } from '../useRunPreviews';
import { StartRunDialog } from './StartRunDialog';
import { StatusBadge } from './StatusBadge';

const REFRESH_MS = 2000;

export interface RunsPageProps {
  families: Family[];
  status?: RunStatus;
  onFilter: (status: RunStatus | undefined) => void;
  onOpen: (runId: string) => void;
}

export function RunsPage({ families, status, onFilter, onOpen }: RunsPageProps) {
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState('');
  const [starting, setStarting] = useState(false);

  const load = useCallback(async () => {
    try {
      const r = await api.runs(status ? { status } : {});
      setRuns(r.runs);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [status]);

  useEffect(() => {
    setRuns(null);
    load();
  }, [load]);

  const anyRunning = !!runs?.some((r) => r.status === 'running');
  useEffect(() => {
    if (!anyRunning) return;
    const t = setInterval(load, REFRESH_MS);
    return () => clearInterval(t);
  }, [anyRunning, load]);

  const previews = useRunPreviews(runs);
  const familyLabel = (key: string) => families.find((f) => f.key === key)?.label ?? key;

  return (
    <main className="runs-page" data-testid="runs-page">
      <div className="page-head">
        <h1>Runs</h1>
        <div className="segmented" role="group" aria-label="Filter by status">
          {[undefined, ...RUN_STATUSES].map((s) => (
            <button
              type="button"
              key={s ?? 'all'}
              className={status === s ? 'active' : ''}
              aria-pressed={status === s}
              onClick={() => onFilter(s)}
              data-testid={`filter-${s ?? 'all'}`}
            >
              {s ? statusLabel(s) : 'All'}
            </button>
          ))}
        </div>
        <span className="page-head-spacer" />
        <button type="button" onClick={load} title="Fetch the list again" data-testid="runs-refresh">
          Refresh
        </button>
        <button type="button" className="primary" onClick={() => setStarting(true)} data-testid="start-run">
          Start run
        </button>
      </div>
      {error && <p className="notice notice-error">Cannot list runs: {error}</p>}
      {runs === null && !error && <p className="empty">Loading runs…</p>}
      {runs && runs.length === 0 && (
        <div className="runs-empty">
          <p>{status ? `No ${statusLabel(status).toLowerCase()} runs.` : 'No runs yet.'}</p>
          {!status && <p className="muted">Start one from a stored workflow or a starter.</p>}
        </div>
      )}
      {runs && runs.length > 0 && (
        <table className="runs-table" data-testid="runs-table">
          <thead>
            <tr>
              <th className="thumb-col" aria-label="Picture" />
              <th>Status</th>
              <th>Run</th>
              <th>Workflow</th>
              <th>Family</th>
              <th>Subject</th>
              <th>Created</th>
              <th>Took</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} onClick={() => onOpen(r.id)} data-testid={`run-row-${r.id}`} className="runs-row">
                <td className="thumb-col">
                  <RunPictureCell picture={previews.get(r.id)} runId={r.id} />
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>
                  <a
                    href={`/runs/${encodeURIComponent(r.id)}`}
                    className="mono"
                    onClick={(e) => {
                      e.preventDefault();
                      e.stopPropagation();
                      onOpen(r.id);
                    }}
                  >
                    {r.id}
                  </a>
                </td>
                <td>
                  <span className="mono">{r.workflow_id ?? '—'}</span>
                  {r.workflow_version !== undefined && <span className="muted"> v{r.workflow_version}</span>}
                </td>
                <td>
                  <span className="badge badge-family">{familyLabel(r.family)}</span>
                </td>
                <td className="small subject-cell" title={subjectText(r.subject)}>
                  {subjectText(r.subject)}
                </td>
                <td className="small" title={r.created_at}>
                  {formatWhen(r.created_at)}
                </td>
                <td className="small">{formatDuration(runDuration(r))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {starting && <StartRunDialog families={families} onClose={() => setStarting(false)} onStarted={(id) => onOpen(id)} />}
    </main>
  );
}

function RunPictureCell({ picture, runId }: { picture: RunPicture | null | undefined; runId: string }) {
  if (picture?.kind === 'image') return <img className="run-row-thumb" src={picture.url} alt="" loading="lazy" data-testid={`run-thumb-${runId}`} />;
  if (picture?.kind === 'video')
    return <video className="run-row-thumb" src={`${picture.url}#t=0.001`} muted playsInline preload="metadata" aria-hidden="true" data-testid={`run-thumb-${runId}`} />;
  if (picture?.kind === 'file')
    return (
      <span className="run-row-thumb run-row-thumb-file" data-testid={`run-thumb-${runId}`}>
        {picture.label}
      </span>
    );
  return <span className="run-row-thumb run-row-thumb-none" aria-hidden="true" />;
}
