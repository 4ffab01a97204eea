// The notices over the editor's canvas: an old version is read-only, the
// workflow is being made for the output-type wizard, a save lost a version
// conflict.
import type { EditSession } from '../editorSession';

/** The wizard that sent the editor here, and the workflow saved for it. */
export interface ReturnTo {
  url: string;
  saved?: { id: string; version: number };
}

export interface CanvasBannersProps {
  workflowId: string;
  session: EditSession | null;
  returnTo: ReturnTo | null;
  conflict: string | null;
  onOpenLatest: () => void;
  onReturn: () => void;
  onExport: () => void;
}

export function CanvasBanners({ workflowId, session, returnTo, conflict, onOpenLatest, onReturn, onExport }: CanvasBannersProps) {
  return (
    <>
      {session?.mode === 'readonly' && (
        <div className="canvas-banner banner-readonly" data-testid="readonly-banner">
          Version {session.baseVersion} of {workflowId} is read-only{session.latestVersion ? ` (latest is v${session.latestVersion})` : ''}.
          <button type="button" onClick={onOpenLatest}>
            Open latest
          </button>
        </div>
      )}
      {returnTo && (
        <div className="canvas-banner banner-return" role="status" data-testid="return-banner">
          {returnTo.saved ? (
            <span>
              Saved <strong className="mono">{returnTo.saved.id}</strong> v{returnTo.saved.version}. The output type you were editing can link it now.
            </span>
          ) : (
            <span>This workflow is for an output type. Save it, then go back to link it.</span>
          )}
          <span className="banner-actions">
            <button type="button" className={returnTo.saved ? 'primary' : ''} onClick={onReturn} data-testid="return-to-wizard">
              {returnTo.saved ? `Use ${returnTo.saved.id} v${returnTo.saved.version}` : 'Back without a workflow'}
            </button>
          </span>
        </div>
      )}
      {conflict && (
        <div className="canvas-banner banner-conflict" role="alert" data-testid="conflict-banner">
          <span>
            <strong>Not saved — version conflict.</strong> {conflict}. Your changes are still here: export them, then open the latest version.
          </span>
          <span className="banner-actions">
            <button type="button" onClick={onExport}>
              Export mine
            </button>
            <button type="button" onClick={onOpenLatest}>
              Open latest
            </button>
          </span>
        </div>
      )}
    </>
  );
}
