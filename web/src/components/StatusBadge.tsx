import type { NodeStatus, RunStatus } from '../types';

/** A run's or a node's status as a coloured badge; running ones pulse. */
export function StatusBadge({ status, testId, large }: { status: RunStatus | NodeStatus | string; testId?: string; large?: boolean }) {
  return (
    <span className={`status-badge status-${status}${large ? ' status-large' : ''}`} data-testid={testId} data-status={status}>
      <span className="status-dot" aria-hidden="true" />
      {status}
    </span>
  );
}
