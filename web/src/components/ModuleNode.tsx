import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo, useContext } from 'react';
import { EditorContext } from '../context';
import type { NodeRunInfo } from '../runs';
import type { Port } from '../types';
import { portsUsed, type FlowNode } from '../workflow';
import { Icon, typeColor } from './Icon';
import { ProgressBar } from './ProgressBar';
import { StatusBadge } from './StatusBadge';

interface PortRow {
  name: string;
  type?: string;
  required?: boolean;
  description?: string;
}

function rows(ports: readonly Port[] | undefined, fallback: string[]): PortRow[] {
  return ports ? ports.map((p) => ({ ...p })) : fallback.map((name) => ({ name }));
}

function PortHandle({ nodeId, port, side, typeLabel }: { nodeId: string; port: PortRow; side: 'in' | 'out'; typeLabel?: string }) {
  const color = port.type ? typeColor(port.type) : '#888';
  const title = `${port.name}${port.type ? ` (${typeLabel ?? port.type})` : ''}${port.required === false ? ', optional' : ''}${port.description ? ` — ${port.description}` : ''}`;
  return (
    <div className={`port port-${side}`} title={title}>
      <Handle
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Left : Position.Right}
        id={port.name}
        data-testid={`handle-${nodeId}-${side}-${port.name}`}
        className="port-handle"
        style={{ background: port.required === false ? '#fff' : color, borderColor: color }}
      />
      <span className="port-name">{port.name}</span>
      {port.type && <span className="port-type" style={{ color }}>{port.type}</span>}
    </div>
  );
}

/**
 * A node's state in a run: a status pill on the node's top edge (it adds no
 * height, so saved layouts keep their spacing), and a failed node's error.
 */
function RunRow({ nodeId, run }: { nodeId: string; run: NodeRunInfo }) {
  // A succeeded side effect that sent nothing (output.notify without a
  // webhook) is shown as skipped: nothing went wrong, nothing happened.
  const shown = run.notSent ? 'skipped' : run.status;
  return (
    <>
      <div
        className="module-node-run"
        data-testid={`node-status-${nodeId}`}
        data-status={run.status}
        data-shown={shown}
        title={run.notSent ? `Succeeded without sending: ${run.notSent}` : run.message}
      >
        <StatusBadge status={shown} />
        {run.cacheHit === true && (
          <span className="badge badge-cache" title="The outputs were reused from the cache">
            cached
          </span>
        )}
        {run.attempts !== undefined && run.attempts > 1 && <span className="badge badge-muted">{run.attempts} attempts</span>}
      </div>
      {run.status === 'running' && !run.notSent && (
        <div className="module-node-progress nodrag" data-testid={`node-progress-${nodeId}`}>
          <ProgressBar progress={run.progress} label={nodeId} compact />
        </div>
      )}
      {run.status === 'failed' && run.message && (
        <div className="module-node-run-message" title={run.message}>
          {run.message}
        </div>
      )}
      {run.notSent && (
        <div className="module-node-run-note" data-testid={`node-note-${nodeId}`} title={run.notSent}>
          Sent nothing: {run.notSent}
        </div>
      )}
    </>
  );
}

function ModuleNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  const ctx = useContext(EditorContext)!;
  const def = ctx.definition(data.step);
  const used = def ? { inputs: [], outputs: [] } : portsUsed(id, ctx.edges);
  const inputs = rows(def?.input_contract, used.inputs);
  const outputs = rows(def?.output_contract, used.outputs);
  const isEntry = !!def?.entry || data.step === ctx.entryStep;
  const foreign = !!def && !ctx.familySteps.has(data.step);
  const problems = ctx.problems.byNode.get(id) ?? [];
  const label = data.label || def?.ui.label || data.step;
  const classes = ['module-node'];
  if (selected) classes.push('selected');
  if (isEntry) classes.push('entry');
  if (problems.length) classes.push('has-problem');
  if (def && !def.available) classes.push('unavailable');
  if (!def || foreign) classes.push('foreign');
  if (data.run) classes.push('run-node', `run-${data.run.notSent ? 'skipped' : data.run.status}`);
  const typeLabel = (t?: string) => (t ? ctx.portTypes.get(t)?.label : undefined);
  return (
    <div className={classes.join(' ')} data-testid={`node-${id}`}>
      <div className="module-node-head">
        <span className="module-node-icon">
          <Icon name={def?.ui.icon} />
        </span>
        <span className="module-node-title" title={def?.ui.description}>
          {label}
        </span>
        {isEntry && (
          <span className="badge badge-entry" title="The family's entry node: every run starts here">
            entry
          </span>
        )}
      </div>
      <div className="module-node-sub">
        <span className="mono">{id}</span>
        <span className="muted"> · {data.step}</span>
      </div>
      {data.run && <RunRow nodeId={id} run={data.run} />}
      {!def && <div className="module-node-flag flag-error">unknown step</div>}
      {foreign && <div className="module-node-flag flag-error">not in family {ctx.family}</div>}
      {def && !def.available && (
        <div className="module-node-flag flag-muted" title={def.unavailable_reason}>
          not available yet
        </div>
      )}
      {inputs.length > 0 && (
        <div className="module-node-ports ports-in">
          {inputs.map((p) => (
            <PortHandle key={p.name} nodeId={id} port={p} side="in" typeLabel={typeLabel(p.type)} />
          ))}
        </div>
      )}
      {outputs.length > 0 && (
        <div className="module-node-ports ports-out">
          {outputs.map((p) => (
            <PortHandle key={p.name} nodeId={id} port={p} side="out" typeLabel={typeLabel(p.type)} />
          ))}
        </div>
      )}
      {data.run?.preview && (
        <div className="module-node-preview">
          <img src={data.run.preview} alt={`What ${label} made`} loading="lazy" draggable={false} data-testid={`node-preview-${id}`} />
        </div>
      )}
      {problems.length > 0 && (
        <div className="module-node-problems" data-testid={`node-problems-${id}`} title={problems.map((p) => p.message).join('\n')}>
          <span className="module-node-problem-text">⚠ {problems[0].message}</span>
          {problems.length > 1 && <span className="module-node-problem-more">+{problems.length - 1} more</span>}
        </div>
      )}
    </div>
  );
}

export const ModuleNode = memo(ModuleNodeView);
