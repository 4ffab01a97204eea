import { useEffect, useState } from 'react';
import { api } from '../api';
import type { Family, VersionInfo, WorkflowSummary } from '../types';

export interface WorkflowListProps {
  workflows: WorkflowSummary[];
  families: Family[];
  currentId?: string;
  currentVersion?: number;
  onOpen: (id: string, version?: number) => void;
  onDelete: (id: string) => void;
  onNew: () => void;
  onImport: () => void;
}

function when(s?: string): string {
  if (!s) return '';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function WorkflowList({ workflows, families, currentId, currentVersion, onOpen, onDelete, onNew, onImport }: WorkflowListProps) {
  // Open history panels; versions are cached per (id, latest version), so a save refreshes them.
  const [openIds, setOpenIds] = useState<ReadonlySet<string>>(new Set());
  const [cache, setCache] = useState<Record<string, VersionInfo[] | string>>({});
  useEffect(() => {
    for (const id of openIds) {
      const w = workflows.find((x) => x.id === id);
      if (!w) continue;
      const key = `${id}@${w.latest_version}`;
      if (key in cache) continue;
      setCache((c) => ({ ...c, [key]: 'loading' }));
      api.versions(id).then(
        ({ versions }) => setCache((c) => ({ ...c, [key]: [...versions].reverse() })),
        (err: Error) => setCache((c) => ({ ...c, [key]: err.message })),
      );
    }
  }, [openIds, workflows, cache]);
  const toggle = (id: string) =>
    setOpenIds((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const keys = [...families.map((f) => f.key), ...new Set(workflows.map((w) => w.family).filter((f) => !families.some((x) => x.key === f)))];
  return (
    <div className="workflow-list" data-testid="workflow-list">
      <div className="sidebar-actions">
        <button type="button" className="primary" onClick={onNew} data-testid="new-workflow">
          New workflow
        </button>
        <button type="button" onClick={onImport} data-testid="import-open-sidebar">
          Import…
        </button>
      </div>
      {keys.map((fk) => {
        const fam = families.find((f) => f.key === fk);
        const items = workflows.filter((w) => w.family === fk).sort((a, b) => a.name.localeCompare(b.name));
        return (
          <div className="wf-group" key={fk} data-testid={`wf-group-${fk}`}>
            <div className="wf-group-title">
              {fam?.label ?? fk} <span className="muted mono">{fk}</span>
            </div>
            {items.length === 0 && <p className="empty">No workflows yet.</p>}
            {items.map((w) => {
              const ex = openIds.has(w.id) ? cache[`${w.id}@${w.latest_version}`] ?? 'loading' : undefined;
              const open = currentId === w.id;
              return (
                <div className={`wf-item${open ? ' current' : ''}`} key={w.id}>
                  <div className="wf-item-row">
                    <button type="button" className="wf-open" onClick={() => onOpen(w.id)} data-testid={`wf-${w.id}`} title={`Open the latest version of ${w.name}`}>
                      <span className="wf-name">{w.name}</span>
                      <span className="wf-id mono">{w.id}</span>
                    </button>
                    <span className="badge badge-version">v{w.latest_version}</span>
                  </div>
                  <div className="wf-item-actions">
                    <button type="button" className="link-button" onClick={() => toggle(w.id)} aria-expanded={!!ex} data-testid={`wf-history-${w.id}`}>
                      {ex ? 'Hide history' : 'History'}
                    </button>
                    <button type="button" className="link-button danger" onClick={() => onDelete(w.id)} aria-label={`Delete ${w.name}`}>
                      Delete
                    </button>
                  </div>
                  {ex === 'loading' && <p className="empty">Loading…</p>}
                  {typeof ex === 'string' && ex !== 'loading' && <p className="notice notice-error">{ex}</p>}
                  {Array.isArray(ex) && (
                    <ul className="versions">
                      {ex.map((v) => {
                        const latest = v.version === w.latest_version;
                        const isCurrent = open && currentVersion === v.version;
                        return (
                          <li key={v.version}>
                            <button
                              type="button"
                              className={`version${isCurrent ? ' current' : ''}`}
                              onClick={() => onOpen(w.id, latest ? undefined : v.version)}
                              data-testid={`wf-${w.id}-v${v.version}`}
                              title={latest ? 'Open the latest version for editing' : 'Open this version read-only'}
                            >
                              <span className="mono">v{v.version}</span>
                              <span className="muted small">{when(v.created_at)}</span>
                              <span className="muted small">{latest ? 'latest' : 'read-only'}</span>
                            </button>
                          </li>
                        );
                      })}
                    </ul>
                  )}
                </div>
              );
            })}
          </div>
        );
      })}
    </div>
  );
}
