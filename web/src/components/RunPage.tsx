// One run: its status with Cancel and Re-run, the workflow graph with live
// node statuses, and on the right the selected node's details, the run's
// request, and the parity report when the run is half of a shadow pair.
import { ReactFlowProvider } from '@xyflow/react';
import { useEffect, useState } from 'react';
import { api } from '../api';
import { runImages } from '../deliverables';
import { formatDuration, formatWhen, progressText, runActions, runDuration, subjectText } from '../runs';
import type { Family, NodeDefinition, PortType } from '../types';
import { useParity } from '../useParity';
import { useRun, type LiveMode } from '../useRun';
import { NodeRunPanel } from './NodeRunPanel';
import { ParityPanel } from './ParityPanel';
import { RunGraph } from './RunGraph';
import { StatusBadge } from './StatusBadge';

export interface RunPageProps {
  id: string;
  node?: string;
  families: Family[];
  portTypes: PortType[];
  onSelectNode: (node: string | undefined) => void;
  onOpenRun: (id: string) => void;
  onBack: () => void;
}

const LIVE_TEXT: Record<LiveMode, string> = {
  idle: '',
  connecting: 'connecting…',
  stream: 'live',
  polling: 'live (polling)',
};

function Json({ value, testId }: { value: unknown; testId?: string }) {
  return (
    <pre className="json-block" data-testid={testId}>
      {JSON.stringify(value ?? {}, null, 2)}
    </pre>
  );
}

export function RunPage({ id, node, families, portTypes, onSelectNode, onOpenRun, onBack }: RunPageProps) {
  const [defs, setDefs] = useState<{ family: string; list: NodeDefinition[] } | null>(null);
  const [defsError, setDefsError] = useState('');
  const [checked, setChecked] = useState(false);
  // The live stream waits for the node definitions and the parity look-up (see useRun).
  const { run, error, live, refresh, patch } = useRun(id, (!!defs || !!defsError) && checked);
  const { parity, error: parityError, checked: parityChecked } = useParity(run);
  useEffect(() => {
    if (parityChecked) setChecked(true);
  }, [parityChecked]);
  const [tab, setTab] = useState<'node' | 'run' | 'parity'>('node');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ text: string; tone: 'info' | 'error' } | null>(null);

  const family = run?.family;
  useEffect(() => {
    if (!family || defs?.family === family) return;
    let live = true;
    api.nodeDefinitions(family).then(
      (r) => live && setDefs({ family, list: r.node_definitions }),
      (e: Error) => live && setDefsError(e.message),
    );
    return () => {
      live = false;
    };
  }, [family, defs]);

  useEffect(() => {
    if (node) setTab('node');
  }, [node]);

  const act = async (what: 'cancel' | 'rerun') => {
    setBusy(true);
    setNotice(null);
    try {
      if (what === 'cancel') {
        await api.cancelRun(id);
        setNotice({ text: 'Cancelling: running steps are stopped.', tone: 'info' });
      } else {
        await api.rerun(id);
        patch((r) => ({ ...r, status: 'running' }));
        setNotice({ text: 'Running again from the nodes that did not succeed.', tone: 'info' });
      }
      await refresh();
    } catch (e) {
      setNotice({ text: `Cannot ${what === 'cancel' ? 'cancel' : 're-run'}: ${(e as Error).message}`, tone: 'error' });
    } finally {
      setBusy(false);
    }
  };

  if (error && !run) {
    return (
      <main className="run-page run-page-missing" data-testid="run-view">
        <p className="notice notice-error">Cannot show run {id}: {error}</p>
        <button type="button" onClick={onBack}>
          Back to runs
        </button>
      </main>
    );
  }
  if (!run) {
    return (
      <main className="run-page run-page-missing" data-testid="run-view">
        <p className="empty">Loading run {id}…</p>
      </main>
    );
  }

  const wf = run.doc?.workflow;
  const fam = families.find((f) => f.key === run.family);
  const actions = runActions(run.status);
  const selected = wf?.nodes.find((n) => n.id === node);
  const def = (step: string) => defs?.list.find((d) => d.step === step);
  const liveText = LIVE_TEXT[live];
  // "Cancelling…" and "Running again…" last while the run does; errors stay.
  const shownNotice = notice && (notice.tone === 'error' || run.status === 'running') ? notice : null;

  return (
    <main className="run-page" data-testid="run-view" data-run={run.id}>
      <div className="run-header">
        <button type="button" className="link-button run-back" onClick={onBack} data-testid="run-back">
          ← Runs
        </button>
        <StatusBadge status={run.status} testId="run-status" large />
        <div className="run-title">
          <div className="run-title-main">
            <span className="strong">{wf?.name ?? run.workflow_id}</span>
            <span className="mono muted">
              {run.workflow_id}
              {run.workflow_version !== undefined && ` v${run.workflow_version}`}
            </span>
            <span className="badge badge-family" title={fam?.description}>
              {fam?.label ?? run.family}
            </span>
            {run.doc?.shadow && <span className="badge badge-readonly">shadow</span>}
            {parity && (
              <button
                type="button"
                className={`badge parity-chip ${parity.report.identical ? 'badge-ok' : 'badge-error'}`}
                onClick={() => setTab('parity')}
                data-testid="parity-chip"
              >
                parity: {parity.report.identical ? 'identical' : 'differs'}
              </button>
            )}
          </div>
          <div className="run-title-sub muted small">
            <span className="mono">{run.id}</span> · created {formatWhen(run.created_at)}
            {runDuration(run) !== undefined && <> · took {formatDuration(runDuration(run))}</>} · <span data-testid="run-progress">{progressText(run)}</span>
            {liveText && (
              <span className={`live-indicator live-${live}`} data-testid="run-live">
                {' '}
                · {liveText}
              </span>
            )}
          </div>
        </div>
        <RunThumbs run={run} selected={node} onSelect={onSelectNode} />
        <div className="run-actions">
          {actions.cancel && (
            <button type="button" className="danger-outline" onClick={() => act('cancel')} disabled={busy} data-testid="run-cancel">
              Cancel
            </button>
          )}
          {actions.rerun && (
            <button type="button" className="primary" onClick={() => act('rerun')} disabled={busy} data-testid="run-rerun">
              Re-run
            </button>
          )}
        </div>
      </div>
      {(shownNotice || error || defsError) && (
        <div className={`run-notice tone-${shownNotice?.tone === 'info' && !error && !defsError ? 'info' : 'error'}`} role="status" data-testid="run-notice">
          {shownNotice?.text} {error && `The run could not be refreshed: ${error}.`} {defsError && `No node definitions for ${run.family}: ${defsError}.`}
        </div>
      )}

      <div className="run-canvas canvas">
        {wf && defs ? (
          <ReactFlowProvider>
            <RunGraph
              key={run.id}
              run={run}
              definitions={defs.list}
              portTypes={portTypes}
              entryStep={fam?.entry_step}
              selected={node}
              onSelect={onSelectNode}
            />
          </ReactFlowProvider>
        ) : (
          <p className="empty">{wf ? 'Loading node definitions…' : 'This run has no workflow document.'}</p>
        )}
      </div>

      <aside className="rightpanel run-panel" aria-label="Run details">
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === 'node'} className={tab === 'node' ? 'active' : ''} onClick={() => setTab('node')} data-testid="tab-run-node">
            Node
          </button>
          <button type="button" role="tab" aria-selected={tab === 'run'} className={tab === 'run' ? 'active' : ''} onClick={() => setTab('run')} data-testid="tab-run-request">
            Request
          </button>
          {parity && (
            <button type="button" role="tab" aria-selected={tab === 'parity'} className={tab === 'parity' ? 'active' : ''} onClick={() => setTab('parity')} data-testid="tab-parity">
              Parity
              <span className={`badge ${parity.report.identical ? 'badge-ok' : 'badge-error'}`}>{parity.report.identical ? '=' : '≠'}</span>
            </button>
          )}
        </div>
        <div className="rightpanel-body">
          {tab === 'node' &&
            (selected ? (
              <NodeRunPanel key={selected.id} node={selected} state={run.nodes?.[selected.id]} def={def(selected.step)} />
            ) : (
              <div className="empty">
                <p>Select a node to see its attempts, parameters, cache verdict, log and outputs.</p>
                {run.status === 'running' && <p className="muted small">Statuses update live as the run goes on.</p>}
              </div>
            ))}
          {tab === 'run' && (
            <div className="run-request">
              <section className="panel-section">
                <h3>Context</h3>
                <Json value={run.doc?.context} testId="run-context" />
              </section>
              <section className="panel-section">
                <h3>Overrides</h3>
                <Json value={run.doc?.overrides} />
              </section>
              {run.doc?.line_overrides && Object.keys(run.doc.line_overrides).length > 0 && (
                <section className="panel-section">
                  <h3>Order line overrides</h3>
                  <Json value={run.doc.line_overrides} />
                </section>
              )}
              {run.subject !== null && run.subject !== undefined && (
                <section className="panel-section">
                  <h3>Subject</h3>
                  <p className="small">{subjectText(run.subject)}</p>
                </section>
              )}
              {parityError && <p className="notice notice-error">Parity report: {parityError}</p>}
            </div>
          )}
          {tab === 'parity' && parity && <ParityPanel parity={parity} onOpenRun={onOpenRun} />}
        </div>
      </aside>
    </main>
  );
}

/** The images the run made, small, in the header; a click selects the node that made it. */
function RunThumbs({ run, selected, onSelect }: { run: Parameters<typeof runImages>[0]; selected?: string; onSelect: (id: string) => void }) {
  const images = runImages(run).slice(0, 6);
  if (!images.length) return null;
  return (
    <div className="run-thumbs" data-testid="run-thumbs">
      {images.map((img) => (
        <button
          type="button"
          key={img.url}
          className={`run-thumb${selected === img.nodeId ? ' active' : ''}`}
          onClick={() => onSelect(img.nodeId)}
          title={`${img.nodeId} · ${img.port}${img.width && img.height ? ` · ${img.width}×${img.height}` : ''}`}
        >
          <img src={img.url} alt={`${img.port} of ${img.nodeId}`} data-testid={`run-thumb-${img.nodeId}`} />
        </button>
      ))}
    </div>
  );
}
