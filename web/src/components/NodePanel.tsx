import { useContext, useMemo } from 'react';
import { EditorContext } from '../context';
import { policySchema, uiSchemaFor } from '../params';
import { choiceKey, choiceValues, withServerChoices } from '../serverChoices';
import { useServerLists } from '../useServerLists';
import type { JSONSchema, Port } from '../types';
import type { FlowNode } from '../workflow';
import { Icon, typeColor } from './Icon';
import { ParamForm } from './ParamForm';

export interface NodePanelProps {
  node: FlowNode;
  apiPolicySchema?: JSONSchema;
  onParams: (nodeId: string, params: Record<string, unknown>, key?: string) => void;
  onPolicy: (nodeId: string, policy: Record<string, unknown>, key?: string) => void;
  onLabel: (nodeId: string, label: string | undefined) => void;
}

function PortList({ title, ports }: { title: string; ports: Port[] }) {
  if (!ports.length) return null;
  return (
    <div className="port-list">
      <div className="port-list-title">{title}</div>
      {ports.map((p) => (
        <div key={p.name} className="port-list-row" title={p.description}>
          <span className="dot" style={{ background: typeColor(p.type) }} />
          <span className="mono">{p.name}</span>
          <span className="muted">{p.type}</span>
          <span className="muted small">{p.required ? '' : 'optional'}</span>
        </div>
      ))}
    </div>
  );
}

export function NodePanel({ node, apiPolicySchema, onParams, onPolicy, onLabel }: NodePanelProps) {
  const ctx = useContext(EditorContext)!;
  const def = ctx.definition(node.data.step);
  const uiSchema = useMemo(() => (def ? uiSchemaFor(def) : undefined), [def]);
  // Params that name a library, material, template or category choose among what the server has.
  const lists = useServerLists();
  // Only the params that choose matter; typing elsewhere keeps the schema as it is.
  const choosing = choiceKey(node.data.params);
  const paramSchema = useMemo(() => (def ? withServerChoices(def.param_schema, lists, choiceValues(choosing)) : undefined), [def, lists, choosing]);
  const polSchema = useMemo(() => policySchema(apiPolicySchema, def?.policy), [apiPolicySchema, def]);
  const problems = ctx.problems.byNode.get(node.id) ?? [];
  const foreign = !!def && !ctx.familySteps.has(node.data.step);
  const readOnly = ctx.readOnly;
  return (
    <div className="node-panel" data-testid="node-panel">
      <div className="panel-head">
        <span className="panel-head-icon">
          <Icon name={def?.ui.icon} size={18} />
        </span>
        <div className="panel-head-text">
          <div className="panel-title">{def?.ui.label ?? node.data.step}</div>
          <div className="muted small">
            <span className="mono">{node.data.step}</span>
            {def && <> · v{def.module_version}</>}
            {def?.side_effects === 'external' && <> · side effects</>}
          </div>
        </div>
        {(def?.entry || node.data.step === ctx.entryStep) && <span className="badge badge-entry">entry</span>}
      </div>
      {def?.ui.description && <p className="panel-description">{def.ui.description}</p>}
      {!def && <p className="notice notice-error">The server knows no step “{node.data.step}”.</p>}
      {foreign && (
        <p className="notice notice-error">
          {node.data.step} belongs to {def!.family.join(', ')}, not to this workflow’s family {ctx.family}.
        </p>
      )}
      {def && !def.available && <p className="notice">Not available yet: {def.unavailable_reason ?? 'this build lacks the module'}.</p>}
      {problems.length > 0 && (
        <ul className="notice notice-error problem-inline">
          {problems.map((p, i) => (
            <li key={i}>
              {p.message} <span className="mono muted">{p.pointer}</span>
            </li>
          ))}
        </ul>
      )}
      <div className="field-row">
        <label htmlFor="node-id">Node id</label>
        <input id="node-id" className="mono" value={node.id} readOnly />
      </div>
      <div className="field-row">
        <label htmlFor="node-label">Label</label>
        <input
          id="node-label"
          value={node.data.label ?? ''}
          placeholder={def?.ui.label ?? ''}
          disabled={readOnly}
          onChange={(e) => onLabel(node.id, e.target.value === '' ? undefined : e.target.value)}
        />
      </div>
      {def && (
        <div className="ports-summary">
          <PortList title="Inputs" ports={def.input_contract} />
          <PortList title="Outputs" ports={def.output_contract} />
        </div>
      )}
      {def && (
        <section className="panel-section" aria-labelledby="settings-title">
          <h3 id="settings-title">Settings</h3>
          {Object.keys((def.param_schema.properties as object) ?? {}).length === 0 ? (
            <p className="muted small">This module has no settings.</p>
          ) : (
            <ParamForm
              key={`p-${node.id}`}
              schema={paramSchema ?? def.param_schema}
              uiSchema={uiSchema}
              values={node.data.params}
              idPrefix="param"
              readOnly={readOnly}
              onChange={(v, k) => onParams(node.id, v, k)}
            />
          )}
        </section>
      )}
      {def?.policy && (
        <section className="panel-section" aria-labelledby="policy-title">
          <h3 id="policy-title">Policy</h3>
          <p className="muted small">Retries, backoff, timeout and what a failure does to the run.</p>
          <ParamForm
            key={`q-${node.id}`}
            schema={polSchema}
            values={node.data.policy ?? {}}
            idPrefix="policy"
            readOnly={readOnly}
            onChange={(v, k) => onPolicy(node.id, v, k)}
          />
        </section>
      )}
    </div>
  );
}
