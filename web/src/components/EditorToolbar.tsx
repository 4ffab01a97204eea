// The editor's top bar: the open workflow's name, id, family and version,
// whether it has unsaved changes, and the actions on it.
import type { EditSession } from '../editorSession';
import type { Family } from '../types';
import type { WorkflowMeta } from '../workflow';

export interface EditorToolbarProps {
  meta?: WorkflowMeta;
  session: EditSession | null;
  familyInfo?: Family;
  dirty: boolean;
  busy: boolean;
  canUndo: boolean;
  canRedo: boolean;
  onMeta: (patch: Partial<WorkflowMeta>, key: string) => void;
  onUndo: () => void;
  onRedo: () => void;
  onLayout: () => void;
  onImport: () => void;
  onExport: () => void;
  onValidate: () => void;
  onSave: () => void;
  onRun: () => void;
  /** why the workflow cannot be run from here, if it cannot */
  runBlocked?: string;
}

export function EditorToolbar(p: EditorToolbarProps) {
  const { meta, session } = p;
  const readOnly = session?.mode === 'readonly';
  const open = !!meta && !!session;
  return (
    <div className="topbar-doc">
      {meta && session ? (
        <div className="doc-meta">
          <input
            className="doc-name"
            aria-label="Workflow name"
            value={meta.name}
            disabled={readOnly}
            onChange={(e) => p.onMeta({ name: e.target.value }, 'meta:name')}
            data-testid="doc-name"
          />
          {session.mode === 'new' ? (
            <input className="doc-id mono" aria-label="Workflow id" value={meta.id} onChange={(e) => p.onMeta({ id: e.target.value }, 'meta:id')} data-testid="doc-id" />
          ) : (
            <span className="doc-id-text mono" title="Workflow id">
              {meta.id}
            </span>
          )}
          <span className="badge badge-family" title={p.familyInfo?.description}>
            {p.familyInfo?.label ?? meta.family}
          </span>
          <span className={`badge ${readOnly ? 'badge-readonly' : 'badge-version'}`} data-testid="doc-version">
            {session.mode === 'new' ? 'new' : `v${session.baseVersion}${readOnly ? ' · read-only' : ''}`}
          </span>
          {p.dirty && (
            <span className="unsaved" data-testid="unsaved" title="Unsaved changes">
              ● unsaved
            </span>
          )}
        </div>
      ) : (
        <div className="doc-meta muted">No workflow open</div>
      )}
      <div className="toolbar" role="toolbar" aria-label="Workflow actions">
        <button type="button" onClick={p.onUndo} disabled={!p.canUndo} title="Undo (Ctrl+Z)" data-testid="undo">
          Undo
        </button>
        <button type="button" onClick={p.onRedo} disabled={!p.canRedo} title="Redo (Ctrl+Shift+Z)" data-testid="redo">
          Redo
        </button>
        <span className="toolbar-sep" />
        <button type="button" onClick={p.onLayout} disabled={!open || readOnly} title="Arrange nodes by topological depth" data-testid="layout">
          Layout
        </button>
        <button type="button" onClick={p.onImport} title="Import workflow JSON" data-testid="import-open">
          Import
        </button>
        <button type="button" onClick={p.onExport} disabled={!open} title="Download the workflow JSON" data-testid="export">
          Export
        </button>
        <span className="toolbar-sep" />
        <button type="button" onClick={p.onValidate} disabled={!open || p.busy} title="Ask the server to validate" data-testid="validate">
          Validate
        </button>
        <button type="button" className="primary" onClick={p.onSave} disabled={!open || readOnly || p.busy} title="Save a new version (Ctrl+S)" data-testid="save">
          Save
        </button>
        <button
          type="button"
          onClick={p.onRun}
          disabled={!open || !!p.runBlocked}
          title={p.runBlocked ? `Cannot run: ${p.runBlocked}` : 'Run this workflow for a product and watch it on the canvas'}
          data-testid="run-open"
        >
          ▶ Run
        </button>
      </div>
    </div>
  );
}
