import type { NodeStatus, RunStatus } from '../types';
import { statusLabel } from '../words';

/** A run's or a node's status as a coloured badge, in words ("In production"); running ones pulse. */
export function StatusBadge({ status, testId, large }: { status: RunStatus | NodeStatus | string; testId?: string; large?: boolean }) {
  return (
    <span className={`status-badge status-${status}${large ? ' status-large' : ''}`} data-testid={testId} data-status={status}>
      <span className="status-dot" aria-hidden="true" />
      {statusLabel(status)}
    </span>
  );
}
