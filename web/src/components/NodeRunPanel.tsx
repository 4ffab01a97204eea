// What one node did in a run: status, the error, the outputs (previews
// first), resolved params with their sources, the cache verdict, attempts and
// the log.
import { attemptDuration, cacheText, formatClock, formatDuration, formatValue, paramRows, SOURCE_HINTS, SOURCE_LABELS, splitOutputs } from '../runs';
import type { NodeDefinition, RunNode, WorkflowNode } from '../types';
import { ArtifactPreview } from './ArtifactPreview';
import { Icon } from './Icon';
import { pointerWords } from '../words';
import { LogList, ProgressBar } from './ProgressBar';
import { StatusBadge } from './StatusBadge';

export interface NodeRunPanelProps {
  node: WorkflowNode;
  state: RunNode | undefined;
  def: NodeDefinition | undefined;
}

export function NodeRunPanel({ node, state: runNode, def }: NodeRunPanelProps) {
  const status = runNode?.status ?? 'pending';
  const s = runNode?.state ?? {};
  const params = paramRows(s, def);
  const { files, values } = splitOutputs(s.outputs);
  const attempts = s.attempts ?? [];
  const cache = cacheText(s.cache);
  return (
    <div className="node-panel node-run-panel" data-testid="node-run-panel" data-node={node.id}>
      <div className="panel-head">
        <span className="panel-head-icon">
          <Icon name={def?.ui.icon} size={18} />
        </span>
        <div className="panel-head-text">
          <div className="panel-title">{node.label || def?.ui.label || node.step}</div>
          <div className="muted small">
            <span className="mono">{node.id}</span> · <span className="mono">{node.step}</span>
            {def && <> · v{def.module_version}</>}
          </div>
        </div>
        <StatusBadge status={status} testId="node-run-status" />
      </div>

      {status === 'running' && (
        <section className="panel-section node-live" aria-labelledby="live-title" data-testid="node-live">
          <h3 id="live-title">Running now</h3>
          <ProgressBar progress={runNode?.progress} label={node.label || def?.ui.label || node.id} testId="node-live-progress" />
          {runNode?.progress?.log?.length ? (
            <LogList log={runNode.progress.log} testId="node-live-log" live />
          ) : (
            <p className="muted small">Its log shows here as the module reports.</p>
          )}
          <p className="muted small">Attempts, parameters and outputs show when it finishes.</p>
        </section>
      )}
      {status === 'pending' && <p className="muted small">Waiting for its inputs.</p>}
      {s.reason && <p className="notice">{s.reason}</p>}
      {s.error && (
        <div className="notice notice-error" role="alert" data-testid="node-error">
          <div className="strong">{s.error.message}</div>
          <div className="small">
            {s.error.code && <span className="mono">{s.error.code}</span>}
            {s.error.pointer && (
              <>
                {' '}
                at{' '}
                <span data-testid="node-error-pointer" data-pointer={s.error.pointer} title={`JSON pointer: ${s.error.pointer}`}>
                  {pointerWords(s.error.pointer)}
                </span>
              </>
            )}
          </div>
        </div>
      )}

      {(files.length > 0 || values.length > 0) && (
        <section className="panel-section" aria-labelledby="outputs-title">
          <h3 id="outputs-title">Outputs</h3>
          {files.map(([port, o]) => (
            <ArtifactPreview key={port} nodeId={node.id} port={port} output={o} />
          ))}
          {values.map(([port, v]) => (
            <details key={port} className="output output-value" data-testid={`output-${port}`}>
              <summary>
                <span className="mono strong">{port}</span> <span className="muted small">value</span>
              </summary>
              <pre className="json-block">{JSON.stringify(v, null, 2)}</pre>
            </details>
          ))}
        </section>
      )}

      {params.length > 0 && (
        <section className="panel-section" aria-labelledby="params-title">
          <h3 id="params-title">Parameters</h3>
          <table className="kv-table params-table" data-testid="node-params">
            <thead>
              <tr>
                <th>Name</th>
                <th>Value</th>
                <th>Source</th>
              </tr>
            </thead>
            <tbody>
              {params.map((p) => (
                <tr key={p.name} data-testid={`param-${p.name}`}>
                  <td title={p.title}>
                    <span className="mono">{p.name}</span>
                  </td>
                  <td className="mono value-cell" title={formatValue(p.value)}>
                    {formatValue(p.value)}
                  </td>
                  <td>
                    <span
                      className={`badge source-badge source-${p.source?.source ?? 'unknown'}`}
                      title={p.source ? SOURCE_HINTS[p.source.source] ?? p.source.source : 'no source recorded'}
                      data-testid={`param-source-${p.name}`}
                    >
                      {p.source ? (SOURCE_LABELS[p.source.source] ?? p.source.source) : 'unknown'}
                    </span>
                    {p.source?.via && <span className="muted small mono"> via {p.source.via}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}

      {cache && (
        <section className="panel-section" aria-labelledby="cache-title">
          <h3 id="cache-title">Cache</h3>
          <p className={`cache-verdict ${s.cache?.hit ? 'cache-hit' : 'cache-miss'}`} data-testid="node-cache">
            {cache}
          </p>
          {s.cache?.key && (
            <div className="muted small mono ellipsis" title={s.cache.key}>
              key {s.cache.key}
            </div>
          )}
        </section>
      )}

      {attempts.length > 0 && (
        <section className="panel-section" aria-labelledby="attempts-title">
          <h3 id="attempts-title">Attempts</h3>
          <table className="kv-table" data-testid="node-attempts">
            <thead>
              <tr>
                <th>#</th>
                <th>Status</th>
                <th>Started</th>
                <th>Took</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr key={a.attempt} title={a.error?.message}>
                  <td>{a.attempt}</td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                  <td className="mono small">{formatClock(a.started_at)}</td>
                  <td className="small">{formatDuration(attemptDuration(a))}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {attempts
            .filter((a) => a.error && a.attempt !== attempts[attempts.length - 1].attempt)
            .map((a) => (
              <p key={a.attempt} className="muted small">
                Attempt {a.attempt}: {a.error!.message} <span className="mono">{a.error!.pointer}</span>
              </p>
            ))}
        </section>
      )}

      {s.log && s.log.length > 0 && (
        <section className="panel-section" aria-labelledby="log-title">
          <h3 id="log-title">Log</h3>
          <LogList log={s.log} testId="node-log" />
        </section>
      )}
    </div>
  );
}
