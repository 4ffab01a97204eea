// A running node's progress: a bar (indeterminate when its module gave no
// fraction), what it last said, the time it has run and the estimate of
// what is left; and its log, growing while it runs.
import { formatClock } from '../runs';
import { progressView, type NodeProgress } from '../progress';
import type { LogEntry } from '../types';
import { useNow } from '../useNow';

export interface ProgressBarProps {
  progress: NodeProgress | undefined;
  /** who is making progress ("Thumbnail"), for the bar's accessible name */
  label: string;
  /** one line under a small bar (canvas nodes, table rows) */
  compact?: boolean;
  testId?: string;
}

export function ProgressBar({ progress, label, compact, testId }: ProgressBarProps) {
  const now = useNow(true);
  const v = progressView(progress, now);
  const indeterminate = v.fraction === undefined;
  const details = [v.elapsed && `${v.elapsed} elapsed`, v.eta].filter(Boolean).join(' · ');
  return (
    <div className={`live-progress${compact ? ' live-progress-compact' : ''}`} data-testid={testId} data-fraction={v.fraction ?? ''}>
      <div
        className={`live-progress-track${indeterminate ? ' indeterminate' : ''}`}
        role="progressbar"
        aria-label={`${label}: progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={indeterminate ? undefined : Math.round(v.fraction! * 100)}
        aria-valuetext={[v.message, v.percent].filter(Boolean).join(', ')}
      >
        <div className="live-progress-fill" style={indeterminate ? undefined : { width: `${Math.max(2, Math.round(v.fraction! * 100))}%` }} />
      </div>
      <div className="live-progress-text">
        <span className="live-progress-message" title={v.message}>
          {v.message}
          {v.percent && <span className="muted"> · {v.percent}</span>}
        </span>
        {details && <span className="live-progress-time muted">{details}</span>}
      </div>
    </div>
  );
}

/** A node's log entries, oldest first; `live` keeps the newest in view. */
export function LogList({ log, testId, live }: { log: readonly LogEntry[]; testId?: string; live?: boolean }) {
  return (
    <ol
      className={`node-log${live ? ' node-log-live' : ''}`}
      data-testid={testId}
      ref={(el) => {
        if (el && live) el.scrollTop = el.scrollHeight;
      }}
    >
      {log.map((l, i) => (
        <li key={i}>
          <span className="mono muted small">{formatClock(l.at)}</span>
          <span className="node-log-message">{l.message}</span>
          {typeof l.fraction === 'number' && <span className="muted small">{Math.round(l.fraction * 100)}%</span>}
        </li>
      ))}
    </ol>
  );
}
