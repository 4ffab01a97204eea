// The run started from the editor, followed live (useRun): how far it is,
// a link to its page, and a way to clear it off the canvas. The run itself
// goes up to the editor, which lays it over its nodes.
import { useEffect } from 'react';
import { progressText } from '../runs';
import type { RunDetail } from '../types';
import { useRun } from '../useRun';
import { StatusBadge } from './StatusBadge';

export interface EditorRunBannerProps {
  runId: string;
  onRun: (run: RunDetail | null) => void;
  onOpen: (runId: string) => void;
  onClear: () => void;
}

export function EditorRunBanner({ runId, onRun, onOpen, onClear }: EditorRunBannerProps) {
  const { run, error } = useRun(runId);
  useEffect(() => onRun(run), [run, onRun]);
  return (
    <div className="canvas-banner banner-run" role="status" data-testid="editor-run-banner" data-status={run?.status ?? 'loading'} data-run-id={runId}>
      <span title={`Run ${runId}`}>
        {run ? <StatusBadge status={run.status} /> : null} {run ? progressText(run) : error ? `The run cannot be shown: ${error}` : 'Starting the run…'}
      </span>
      <span className="banner-actions">
        <button type="button" onClick={() => onOpen(runId)} data-testid="editor-run-open">
          Run page
        </button>
        <button type="button" onClick={onClear} data-testid="editor-run-clear">
          Clear
        </button>
      </span>
    </div>
  );
}
