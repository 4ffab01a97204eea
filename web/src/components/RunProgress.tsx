// A run's running nodes with their live progress, followed over the run's
// event stream (useRun): what the order page shows for a line in production
// and the product page for a CAD intake.
import { useEffect, useState } from 'react';
import { api } from '../api';
import { runningProgress } from '../progress';
import type { NodeDefinition } from '../types';
import { useRun } from '../useRun';
import { ProgressBar } from './ProgressBar';

// A family's node definitions, asked for once per page load (for the nodes' labels).
const definitions = new Map<string, Promise<NodeDefinition[]>>();
function useDefinitions(family: string | undefined): NodeDefinition[] {
  const [defs, setDefs] = useState<NodeDefinition[]>([]);
  useEffect(() => {
    if (!family) return;
    let live = true;
    if (!definitions.has(family))
      definitions.set(
        family,
        api.nodeDefinitions(family).then(
          (r) => r.node_definitions,
          () => [],
        ),
      );
    definitions.get(family)!.then((d) => live && setDefs(d));
    return () => {
      live = false;
    };
  }, [family]);
  return defs;
}

export function RunProgress({ runId, testId }: { runId: string; testId?: string }) {
  const { run } = useRun(runId);
  const defs = useDefinitions(run?.family);
  if (!run || run.status !== 'running') return null;
  const nodes = runningProgress(run);
  const labelOf = (id: string) => {
    const n = run.doc?.workflow?.nodes?.find((x) => x.id === id);
    return n?.label || defs.find((d) => d.step === n?.step)?.ui.label || id;
  };
  return (
    <div className="line-progress" data-testid={testId} data-run={runId}>
      {nodes.length === 0 && <span className="muted small">Waiting for the next step…</span>}
      {nodes.map(({ node, progress }) => (
        <div key={node} className="line-progress-node" data-node={node}>
          <span className="strong">{labelOf(node)}</span>
          <ProgressBar progress={progress} label={labelOf(node)} compact />
        </div>
      ))}
    </div>
  );
}
