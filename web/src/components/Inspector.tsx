// The editor's right panel: the selected node's settings and policy, or the
// workflow's description and invocation contract.
import type { Family, Invocation, JSONSchema, Vocabulary } from '../types';
import type { ProblemIndex } from '../problems';
import type { Graph, ModuleNodeData, WorkflowMeta } from '../workflow';
import { InvocationPanel } from './InvocationPanel';
import { NodePanel } from './NodePanel';
import { FoldButton } from './PanelFold';

export type InspectorTab = 'node' | 'invocation';

export interface InspectorProps {
  graph: Graph | null;
  tab: InspectorTab;
  onTab: (t: InspectorTab) => void;
  readOnly: boolean;
  problems: ProblemIndex;
  familyInfo?: Family;
  vocabulary?: Vocabulary;
  policySchema?: JSONSchema;
  onNodeData: (nodeId: string, fn: (d: ModuleNodeData) => ModuleNodeData, key: string) => void;
  onMeta: (patch: Partial<WorkflowMeta>, key: string) => void;
  onInvocation: (inv: Invocation, key: string) => void;
  onFold: () => void;
}

export function Inspector({ graph, tab, onTab, readOnly, problems, familyInfo, vocabulary, policySchema, onNodeData, onMeta, onInvocation, onFold }: InspectorProps) {
  const selectedNodes = graph?.nodes.filter((n) => n.selected) ?? [];
  const selectedNode = selectedNodes.length === 1 ? selectedNodes[0] : undefined;
  const selectedEdges = graph?.edges.filter((e) => e.selected) ?? [];
  return (
    <>
      <div className="tabs" role="tablist">
        <FoldButton side="right" onFold={onFold} />
        <button type="button" role="tab" aria-selected={tab === 'node'} className={tab === 'node' ? 'active' : ''} onClick={() => onTab('node')} data-testid="tab-node">
          Node
        </button>
        <button type="button" role="tab" aria-selected={tab === 'invocation'} className={tab === 'invocation' ? 'active' : ''} onClick={() => onTab('invocation')} data-testid="tab-invocation">
          Invocation
          {problems.byInvocation.size > 0 && <span className="badge badge-error">!</span>}
        </button>
      </div>
      <div className="rightpanel-body">
        {!graph && <p className="empty">Nothing open.</p>}
        {graph && tab === 'node' && (
          <>
            {selectedNode ? (
              <NodePanel
                node={selectedNode}
                apiPolicySchema={policySchema}
                onParams={(id, params, k) => onNodeData(id, (d) => ({ ...d, params }), `params:${id}:${k}`)}
                onPolicy={(id, policy, k) => onNodeData(id, (d) => ({ ...d, policy }), `policy:${id}:${k}`)}
                onLabel={(id, label) =>
                  onNodeData(
                    id,
                    (d) => {
                      const { label: _old, ...rest } = d;
                      return label === undefined ? (rest as ModuleNodeData) : { ...rest, label };
                    },
                    `label:${id}`,
                  )
                }
              />
            ) : selectedNodes.length > 1 ? (
              <p className="empty">{selectedNodes.length} nodes selected. Delete removes them; select one to edit it.</p>
            ) : selectedEdges.length ? (
              <div className="edge-info">
                {selectedEdges.map((e) => (
                  <div key={e.id} className="mono">
                    {e.source}.{e.sourceHandle} → {e.target}.{e.targetHandle}
                  </div>
                ))}
                <p className="muted small">Press Delete to remove the selected edge.</p>
              </div>
            ) : (
              <div className="empty">
                <p>Select a node to edit its settings and policy.</p>
                <p className="muted small">Drag from an output (right) to an input (left) to connect; only matching port types connect. Delete removes the selection; Ctrl+Z undoes; ? lists every key.</p>
              </div>
            )}
          </>
        )}
        {graph && tab === 'invocation' && (
          <>
            <section className="panel-section">
              <h3>Workflow</h3>
              <div className="field-row">
                <label htmlFor="doc-description">Description</label>
                <textarea
                  id="doc-description"
                  rows={3}
                  value={graph.meta.description ?? ''}
                  disabled={readOnly}
                  onChange={(e) => onMeta({ description: e.target.value || undefined }, 'meta:description')}
                />
              </div>
            </section>
            <InvocationPanel
              nodes={graph.nodes}
              invocation={graph.invocation}
              family={familyInfo}
              vocabulary={vocabulary}
              selectedNodeId={selectedNode?.id}
              onChange={onInvocation}
            />
          </>
        )}
      </div>
    </>
  );
}
