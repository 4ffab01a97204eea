// The workflow's invocation contract: which node params an output type may
// override, and which artifacts the workflow delivers.
import { useContext, useMemo, useState } from 'react';
import { EditorContext } from '../context';
import { formatValue, properties } from '../params';
import { portTypesCompatible } from '../ports';
import type { Family, Invocation, JSONSchema, Vocabulary } from '../types';
import type { FlowNode } from '../workflow';

export interface InvocationPanelProps {
  nodes: FlowNode[];
  invocation: Invocation;
  family?: Family;
  vocabulary?: Vocabulary;
  selectedNodeId?: string;
  onChange: (inv: Invocation, key: string) => void;
}

function ProblemsFor({ k }: { k: string }) {
  const ctx = useContext(EditorContext)!;
  const ps = ctx.problems.byInvocation.get(k) ?? [];
  if (!ps.length) return null;
  return (
    <ul className="notice notice-error problem-inline">
      {ps.map((p, i) => (
        <li key={i}>{p.message}</li>
      ))}
    </ul>
  );
}

export function InvocationPanel({ nodes, invocation, family, vocabulary, selectedNodeId, onChange }: InvocationPanelProps) {
  const ctx = useContext(EditorContext)!;
  const readOnly = ctx.readOnly;

  // node.param choices, from each node's param_schema
  const paramChoices = useMemo(
    () =>
      nodes.map((n) => {
        const def = ctx.definition(n.data.step);
        return { node: n, label: def?.ui.label ?? n.data.step, params: Object.entries(properties(def?.param_schema)) };
      }),
    [nodes, ctx],
  );
  const outputChoices = useMemo(
    () =>
      nodes.flatMap((n) =>
        (ctx.definition(n.data.step)?.output_contract ?? []).map((p) => ({ ref: `${n.id}.${p.name}`, type: p.type, role: p.role })),
      ),
    [nodes, ctx],
  );

  const [target, setTarget] = useState('');
  const [name, setName] = useState('');
  const effectiveTarget = target || (() => {
    const first = paramChoices.find((c) => c.node.id === selectedNodeId && c.params.length) ?? paramChoices.find((c) => c.params.length);
    return first ? `${first.node.id}.${first.params[0][0]}` : '';
  })();
  const targetParam = effectiveTarget.slice(effectiveTarget.indexOf('.') + 1);
  const effectiveName = name || targetParam;
  const existing = invocation.params[effectiveName];

  const exposeParam = () => {
    const [nodeId] = effectiveTarget.split('.');
    const choice = paramChoices.find((c) => c.node.id === nodeId);
    const schema = choice?.params.find(([k]) => k === targetParam)?.[1];
    if (!schema || !effectiveName) return;
    const params = { ...invocation.params };
    if (existing) {
      if (existing.targets.includes(effectiveTarget)) return;
      params[effectiveName] = { ...existing, targets: [...existing.targets, effectiveTarget] };
    } else {
      params[effectiveName] = { schema: JSON.parse(JSON.stringify(schema)) as JSONSchema, targets: [effectiveTarget] };
    }
    onChange({ ...invocation, params }, `inv-param-${effectiveName}`);
    setName('');
  };
  const removeTarget = (pname: string, t: string) => {
    const params = { ...invocation.params };
    const targets = params[pname].targets.filter((x) => x !== t);
    if (targets.length) params[pname] = { ...params[pname], targets };
    else delete params[pname];
    onChange({ ...invocation, params }, `inv-rm-${pname}`);
  };
  const removeParam = (pname: string) => {
    const params = { ...invocation.params };
    delete params[pname];
    onChange({ ...invocation, params }, `inv-rm-${pname}`);
  };

  const kinds = (family?.artifact_kinds ?? []).map((k) => vocabulary?.artifact_kinds.find((x) => x.key === k) ?? { key: k, port_type: '', label: k });
  const [kind, setKind] = useState('');
  const [from, setFrom] = useState('');
  const [role, setRole] = useState('');
  const effKind = kind || kinds[0]?.key || '';
  const kindType = kinds.find((k) => k.key === effKind)?.port_type;
  const fits = (t: string) => !kindType || portTypesCompatible(t, kindType, vocabulary?.port_types ?? []);
  const fromOptions = outputChoices.filter((o) => fits(o.type));
  const effFrom = fromOptions.some((o) => o.ref === from) ? from : fromOptions[0]?.ref ?? '';
  const fromPort = outputChoices.find((o) => o.ref === effFrom);
  const roles = vocabulary?.artifact_roles ?? [];
  const effRole = role || fromPort?.role || roles.find((r) => fromPort && r.port_type === fromPort.type)?.key || '';
  const addArtifact = () => {
    if (!effRole || !effKind || !effFrom) return;
    onChange({ ...invocation, artifacts: { ...invocation.artifacts, [effRole]: { kind: effKind, from: effFrom } } }, `inv-art-${effRole}`);
    setRole('');
  };
  const removeArtifact = (r: string) => {
    const artifacts = { ...invocation.artifacts };
    delete artifacts[r];
    onChange({ ...invocation, artifacts }, `inv-art-rm-${r}`);
  };

  const paramEntries = Object.entries(invocation.params);
  const artifactEntries = Object.entries(invocation.artifacts);
  return (
    <div className="invocation-panel" data-testid="invocation-panel">
      <section className="panel-section" aria-labelledby="inv-params-title">
        <h3 id="inv-params-title">Invocation parameters</h3>
        <p className="muted small">Settings an output type may override. Each is bound to node settings.</p>
        <ProblemsFor k="params/" />
        {paramEntries.length === 0 && <p className="empty">No parameters exposed.</p>}
        {paramEntries.map(([pname, p]) => (
          <div className="inv-item" key={pname} data-testid={`inv-param-${pname}`}>
            <div className="inv-item-head">
              <span className="inv-item-title">
                <span className="mono strong">{pname}</span>{' '}
                <span className="muted small">
                  {String(p.schema?.type ?? '')}
                  {p.schema && 'default' in p.schema ? ` · default ${formatValue(p.schema.default)}` : ''}
                </span>
              </span>
              {!readOnly && (
                <button type="button" className="link-button danger" onClick={() => removeParam(pname)} aria-label={`Remove invocation parameter ${pname}`}>
                  Remove
                </button>
              )}
            </div>
            <div className="chips">
              {p.targets.map((t) => (
                <span className="chip mono" key={t}>
                  {t}
                  {!readOnly && (
                    <button type="button" onClick={() => removeTarget(pname, t)} aria-label={`Unbind ${t} from ${pname}`}>
                      ×
                    </button>
                  )}
                </span>
              ))}
            </div>
            <ProblemsFor k={`params/${pname}`} />
          </div>
        ))}
        {!readOnly && (
          <div className="inv-form">
            <div className="field-row">
              <label htmlFor="inv-target">Node setting</label>
              <select id="inv-target" value={effectiveTarget} onChange={(e) => setTarget(e.target.value)}>
                {paramChoices
                  .filter((c) => c.params.length)
                  .map((c) => (
                    <optgroup key={c.node.id} label={`${c.node.id} (${c.label})`}>
                      {c.params.map(([k, s]) => (
                        <option key={k} value={`${c.node.id}.${k}`}>
                          {c.node.id}.{k}
                          {typeof s.title === 'string' ? ` — ${s.title}` : ''}
                        </option>
                      ))}
                    </optgroup>
                  ))}
              </select>
            </div>
            <div className="field-row">
              <label htmlFor="inv-name">Name</label>
              <input id="inv-name" className="mono" value={name} placeholder={targetParam} onChange={(e) => setName(e.target.value)} />
            </div>
            <div className="form-actions">
              <span className="muted small">{existing ? `adds a target to “${effectiveName}”` : 'schema copied from the setting'}</span>
              <button type="button" onClick={exposeParam} disabled={!effectiveTarget || !effectiveName}>
                Expose
              </button>
            </div>
          </div>
        )}
      </section>
      <section className="panel-section" aria-labelledby="inv-art-title">
        <h3 id="inv-art-title">Delivered artifacts</h3>
        <p className="muted small">What this workflow delivers, by role, and which output port it comes from.</p>
        <ProblemsFor k="artifacts/" />
        {artifactEntries.length === 0 && <p className="empty">No artifacts declared.</p>}
        {artifactEntries.map(([r, a]) => (
          <div className="inv-item" key={r} data-testid={`inv-artifact-${r}`}>
            <div className="inv-item-head">
              <span className="inv-item-title mono strong">{r}</span>
              {!readOnly && (
                <button type="button" className="link-button danger" onClick={() => removeArtifact(r)} aria-label={`Remove artifact ${r}`}>
                  Remove
                </button>
              )}
            </div>
            <div className="inv-item-detail small">
              <span className="muted">{a.kind}</span> ← <span className="mono">{a.from}</span>
            </div>
            <ProblemsFor k={`artifacts/${r}`} />
          </div>
        ))}
        {!readOnly && (
          <div className="inv-form">
            <div className="field-row">
              <label htmlFor="inv-kind">Kind</label>
              <select id="inv-kind" value={effKind} onChange={(e) => setKind(e.target.value)}>
                {kinds.map((k) => (
                  <option key={k.key} value={k.key}>
                    {k.label ?? k.key}
                  </option>
                ))}
              </select>
            </div>
            <div className="field-row">
              <label htmlFor="inv-from">From</label>
              <select id="inv-from" value={effFrom} onChange={(e) => setFrom(e.target.value)} disabled={!fromOptions.length}>
                {fromOptions.length === 0 && <option value="">no output gives {kindType}</option>}
                {fromOptions.map((o) => (
                  <option key={o.ref} value={o.ref}>
                    {o.ref} ({o.type})
                  </option>
                ))}
              </select>
            </div>
            <div className="field-row">
              <label htmlFor="inv-role">Role</label>
              <select id="inv-role" value={effRole} onChange={(e) => setRole(e.target.value)}>
                {roles.map((r) => (
                  <option key={r.key} value={r.key} title={r.description}>
                    {r.key}
                  </option>
                ))}
              </select>
            </div>
            <div className="form-actions">
              <span className="muted small">{invocation.artifacts[effRole] ? `replaces “${effRole}”` : ''}</span>
              <button type="button" onClick={addArtifact} disabled={!effRole || !effKind || !effFrom}>
                Declare
              </button>
            </div>
          </div>
        )}
      </section>
    </div>
  );
}
