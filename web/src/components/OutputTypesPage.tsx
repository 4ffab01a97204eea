// The output types: what customers can order. A table with family, workflow
// and version, rollout, artifact kind, pricing tier and visibility, filtered
// by text, family and rollout (their values come from the schema). Output
// types that keep legacy render settings open a panel with those settings
// beside the compat adapter's mapping, and offer a switch of rollout, which
// goes through the wizard's workflow step because it needs a workflow. A
// shadow output type shows its parity so far (ParityLine).
import { Fragment, useEffect, useMemo, useState } from 'react';
import { api } from '../api';
import { settingRows } from '../catalog';
import { properties } from '../params';
import type { Navigate } from '../route';
import type { JSONSchema, OutputType } from '../types';
import { useFetched } from '../useFetched';
import { wizardUrl } from '../wizard';
import { AppLink, KvTable, PointerList } from './CatalogBits';
import type { CatalogBoot } from './CatalogView';
import { ConfirmDialog, deleteConfirm, type ConfirmRequest } from './ConfirmDialog';
import { LegacyImportDialog } from './LegacyImportDialog';
import { ParityLine } from './ParityLine';

function enumOf(schema: JSONSchema | undefined, key: string): string[] {
  const e = properties(schema)[key]?.enum;
  return Array.isArray(e) ? (e as string[]) : [];
}

function LegacyPanel({ ot, schema, navigate }: { ot: OutputType; schema: JSONSchema | undefined; navigate: Navigate }) {
  const [detail, setDetail] = useState<OutputType | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api.outputType(ot.key).then(setDetail, (e: Error) => setError(e.message));
  }, [ot.key]);
  const mapping = detail?.legacy_mapping;
  const others = enumOf(schema, 'rollout').filter((r) => r !== ot.rollout);
  return (
    <div className="legacy-panel" data-testid={`legacy-panel-${ot.key}`}>
      <div className="legacy-col">
        <h3>Legacy render settings</h3>
        <p className="muted small">Kept in their old shape; the legacy pipeline reads them.</p>
        <KvTable rows={settingRows(ot.legacy_render_settings)} testId={`legacy-settings-${ot.key}`} />
      </div>
      <div className="legacy-arrow" aria-hidden="true">
        →
      </div>
      <div className="legacy-col">
        <h3>Compat adapter mapping</h3>
        {error && <p className="notice notice-error">Cannot load the mapping: {error}</p>}
        {!detail && !error && <p className="muted small">Loading…</p>}
        {detail && !mapping && <p className="muted small">The server reported no mapping.</p>}
        {mapping && (
          <>
            <p className="small">
              Artifact kind <span className="badge badge-muted mono">{mapping.artifact_kind ?? '—'}</span>
            </p>
            <KvTable rows={settingRows(mapping.overrides)} testId={`legacy-mapping-${ot.key}`} empty="No invocation overrides." />
            <PointerList items={mapping.warnings ?? []} tone="warn" title="Warnings" testId={`legacy-warnings-${ot.key}`} />
            <PointerList items={mapping.errors ?? []} tone="error" title="Cannot be adapted" testId={`legacy-errors-${ot.key}`} />
          </>
        )}
      </div>
      <div className="legacy-actions">
        <p className="small muted">
          Rollout now: <strong>{ot.rollout}</strong>
          {ot.workflow ? (
            <>
              {' '}
              with <span className="mono">{ot.workflow.id}</span> v{ot.workflow.version}
            </>
          ) : (
            ', no workflow linked'
          )}
          . Switching opens the wizard at its workflow step.
        </p>
        {others.map((r) => (
          <button
            type="button"
            key={r}
            className={r === others[others.length - 1] ? 'primary' : ''}
            onClick={() => navigate(wizardUrl(ot.key, 'workflow', { rollout: r }))}
            data-testid={`switch-${ot.key}-${r}`}
          >
            Switch to {r}
          </button>
        ))}
      </div>
    </div>
  );
}

async function fetchOutputTypes() {
  const [list, schema] = await Promise.all([api.outputTypes(), api.outputTypeSchema()]);
  return { items: list.output_types, schema };
}

export function OutputTypesPage({ boot, navigate }: { boot: CatalogBoot; navigate: Navigate }) {
  const { data, error, reload: load } = useFetched(fetchOutputTypes);
  const items = data?.items ?? null;
  const schema = data?.schema;
  const [text, setText] = useState('');
  const [rollout, setRollout] = useState<string | undefined>();
  const [family, setFamily] = useState<string>('');
  const [open, setOpen] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [importing, setImporting] = useState(false);
  // The wizard comes back with ?saved=KEY.
  const [saved] = useState(() => new URLSearchParams(window.location.search).get('saved'));
  const [notice, setNotice] = useState<{ text: string; tone: 'info' | 'error' } | null>(saved ? { text: `Saved ${saved}.`, tone: 'info' } : null);


  const shown = useMemo(() => {
    const t = text.trim().toLowerCase();
    return (items ?? [])
      .filter((o) => !rollout || o.rollout === rollout)
      .filter((o) => !family || o.family === family)
      .filter((o) => !t || [o.key, o.name, o.workflow?.id, o.artifact_kind].some((v) => v?.toLowerCase().includes(t)))
      .sort((a, b) => a.name.localeCompare(b.name));
  }, [items, text, rollout, family]);

  const kindLabel = (k?: string) => boot.vocabulary.artifact_kinds.find((a) => a.key === k)?.label ?? k ?? '—';
  const familyLabel = (k?: string) => boot.families.find((f) => f.key === k)?.label ?? k ?? '—';

  const remove = (o: OutputType) =>
    setConfirm(
      deleteConfirm(
        o.key,
        'Customers can no longer order it. Order lines that use it keep it, and then it cannot be deleted.',
        () => api.deleteOutputType(o.key),
        (n, deleted) => {
          setNotice(n);
          if (deleted) load();
        },
      ),
    );

  return (
    <main className="runs-page catalog-page" data-testid="output-types-page">
      <div className="page-head">
        <h1>Output types</h1>
        <input
          type="search"
          className="page-search"
          placeholder="Filter by name, key, workflow or kind"
          aria-label="Filter output types"
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="ot-filter"
        />
        <select aria-label="Family" value={family} onChange={(e) => setFamily(e.target.value)} data-testid="ot-filter-family">
          <option value="">every family</option>
          {enumOf(schema, 'family').map((f) => (
            <option key={f} value={f}>
              {familyLabel(f)}
            </option>
          ))}
        </select>
        <div className="segmented" role="group" aria-label="Filter by rollout">
          {[undefined, ...enumOf(schema, 'rollout')].map((r) => (
            <button type="button" key={r ?? 'all'} className={rollout === r ? 'active' : ''} aria-pressed={rollout === r} onClick={() => setRollout(r)} data-testid={`ot-rollout-${r ?? 'all'}`}>
              {r ?? 'all'}
            </button>
          ))}
        </div>
        <span className="page-head-spacer" />
        <button type="button" onClick={() => setImporting(true)} data-testid="ot-import-legacy">
          Import legacy
        </button>
        <button type="button" className="primary" onClick={() => navigate(wizardUrl('new'))} data-testid="ot-new">
          New output type
        </button>
      </div>
      {notice && <p className={`notice${notice.tone === 'error' ? ' notice-error' : ' notice-info'}`}>{notice.text}</p>}
      {error && <p className="notice notice-error">Cannot list output types: {error}</p>}
      {items === null && !error && <p className="empty">Loading output types…</p>}
      {items && shown.length === 0 && <div className="runs-empty">{items.length ? 'No output type matches the filter.' : 'No output types yet.'}</div>}
      {items && shown.length > 0 && (
        <table className="runs-table ot-table" data-testid="ot-table">
          <thead>
            <tr>
              <th>Output type</th>
              <th>Family</th>
              <th>Workflow</th>
              <th>Rollout</th>
              <th>Artifact kind</th>
              <th>Pricing tier</th>
              <th>Visibility</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.map((o) => {
              const legacy = !!o.legacy_render_settings;
              return (
                <Fragment key={o.key}>
                  <tr data-testid={`ot-row-${o.key}`} className={open === o.key ? 'row-open' : saved === o.key ? 'row-focus' : ''}>
                    <td>
                      <AppLink href={wizardUrl(o.key)} navigate={navigate} className="strong">
                        {o.name}
                      </AppLink>
                      <div className="mono small muted">{o.key}</div>
                    </td>
                    <td>
                      <span className="badge badge-family">{familyLabel(o.family)}</span>
                    </td>
                    <td data-testid={`ot-workflow-${o.key}`}>
                      {o.workflow ? (
                        <>
                          {/* a full load: the editor opens what its URL names when it starts */}
                          <a href={`/workflows/${encodeURIComponent(o.workflow.id)}/versions/${o.workflow.version}`} className="mono" title="Open this version in the workflow editor">
                            {o.workflow.id}
                          </a>
                          <span className="badge badge-version">v{o.workflow.version}</span>
                        </>
                      ) : (
                        <span className="muted">legacy pipeline</span>
                      )}
                    </td>
                    <td>
                      <span className={`badge rollout rollout-${o.rollout}`} data-testid={`ot-rollout-cell-${o.key}`}>
                        {o.rollout}
                      </span>
                      {o.rollout === 'shadow' && <ParityLine outputType={o.key} />}
                    </td>
                    <td data-testid={`ot-kind-${o.key}`} title={o.artifact_kind}>
                      {kindLabel(o.artifact_kind)}
                    </td>
                    <td className="mono small">{o.pricing_tier}</td>
                    <td>
                      <span className={`badge visibility-${o.visibility}`}>{o.visibility}</span>
                    </td>
                    <td className="row-actions">
                      {legacy && (
                        <button type="button" onClick={() => setOpen(open === o.key ? null : o.key)} aria-expanded={open === o.key} data-testid={`ot-legacy-${o.key}`}>
                          Legacy {open === o.key ? '▴' : '▾'}
                        </button>
                      )}
                      <button type="button" onClick={() => navigate(wizardUrl(o.key))} data-testid={`ot-edit-${o.key}`}>
                        Edit
                      </button>
                      <button type="button" className="link-button danger" onClick={() => remove(o)} aria-label={`Delete ${o.key}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                  {open === o.key && (
                    <tr className="legacy-row">
                      <td colSpan={8}>
                        <LegacyPanel ot={o} schema={schema} navigate={navigate} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
      {confirm && <ConfirmDialog req={confirm} onClose={() => setConfirm(null)} />}
      {importing && <LegacyImportDialog boot={boot} onImported={load} onClose={() => setImporting(false)} />}
    </main>
  );
}
