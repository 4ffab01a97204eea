// The editor's status line: the last thing that happened, or, while a
// connection is being dragged, whether it may be dropped where it is and why.
import { useConnection } from '@xyflow/react';
import type { StatusMessage, Tone } from '../editorSession';
import { candidateOf, connectionProblem, connectionSummary, type ConnectionContext } from '../ports';

export function StatusLine({ status, ctx }: { status: StatusMessage | null; ctx: ConnectionContext | null }) {
  const conn = useConnection();
  let text = status?.text ?? '';
  let tone: Tone = status?.tone ?? 'info';
  if (conn.inProgress && ctx) {
    const from = conn.fromHandle;
    const to = conn.toHandle;
    if (!to) {
      text = `Connecting from ${from.nodeId}.${from.id}: drop on a ${from.type === 'source' ? 'matching input' : 'matching output'}`;
      tone = 'info';
    } else {
      const cand = candidateOf(from, to);
      const problem = connectionProblem(cand, ctx);
      text = problem ? problem : connectionSummary(cand, ctx);
      tone = problem ? 'error' : 'ok';
    }
  }
  return (
    <div className={`status-line tone-${tone}`} role="status" aria-live="polite" data-testid="status-line">
      {text || 'Ready.'}
    </div>
  );
}
