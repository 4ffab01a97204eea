// Old output types in: the operator pastes their JSON and the server imports
// the whole batch or nothing. Each type then shows what the compat adapter
// made of it (artifact kind, invocation overrides, warnings), or the problems
// pinned to it. The request's fields are described from the served OpenAPI.
import { pointerWords } from '../words';
import { useState } from 'react';
import { api, type ApiFailure } from '../api';
import { settingRows } from '../catalog';
import { parsePointer } from '../problems';
import { properties } from '../params';
import { importItems, importItemTitle, pinProblems, requestSchema } from '../settings';
import type { JSONSchema, LegacyImportResult, PointerProblem } from '../types';
import { KvTable, PointerList, type ProblemItem } from './CatalogBits';
import type { CatalogBoot } from './CatalogView';
import { Modal } from './Modal';

const PATH = '/api/output-types/import-legacy';

/** "name*, legacy_render_settings*, key, …": an item's fields as the server takes them. */
function fieldHint(schema: JSONSchema | undefined): string {
  const item = (schema?.items as JSONSchema | undefined) ?? undefined;
  const req = new Set(Array.isArray(item?.required) ? (item.required as string[]) : []);
  const keys = Object.keys(properties(item)).sort((a, b) => Number(req.has(b)) - Number(req.has(a)));
  return keys.map((k) => `${k}${req.has(k) ? '*' : ''}`).join(', ');
}

/** A problem named by its field: the pointer's tokens after the item's own. */
const placed =
  (depth: number) =>
  (p: PointerProblem): ProblemItem => ({ ...p, where: parsePointer(p.pointer).length > depth ? pointerWords(p.pointer, depth) : undefined });

interface Failure {
  message: string;
  errors: PointerProblem[];
  sent: string;
}

function FailureView({ failure }: { failure: Failure }) {
  const parsed = importItems(failure.sent);
  const keys = parsed ? parsed.items.map((_, i) => `${parsed.base}/${i}`) : [];
  const { pinned, rest } = pinProblems(failure.errors, keys);
  return (
    <div data-testid="legacy-import-failure">
      <p className="notice notice-error" role="alert">
        Nothing was imported: {failure.message}
      </p>
      <PointerList items={rest} tone="error" testId="legacy-import-problems" />
      {parsed &&
        parsed.items.map((item, i) => {
          const mine = pinned.get(keys[i]) ?? [];
          const depth = parsePointer(keys[i]).length;
          return (
            <div key={i} className={`import-item${mine.length ? ' bad' : ''}`} data-testid={`legacy-item-${i}`}>
              <div className="import-item-head">
                <span className="strong">{importItemTitle(item, i)}</span>
                <span className={`badge ${mine.length ? 'badge-error' : 'badge-muted'}`}>{mine.length ? `${mine.length} problem${mine.length === 1 ? '' : 's'}` : 'no problem'}</span>
              </div>
              <PointerList
                items={mine.map(placed(depth))}
                tone="error"
                testId={`legacy-item-${i}-problems`}
              />
            </div>
          );
        })}
    </div>
  );
}

export function LegacyImportDialog({ boot, onImported, onClose }: { boot: CatalogBoot; onImported: () => void; onClose: () => void }) {
  const [text, setText] = useState('');
  const [result, setResult] = useState<LegacyImportResult | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const hint = fieldHint(requestSchema(boot.apiPaths, PATH, 'post'));
  const kindLabel = (k?: string) => boot.vocabulary.artifact_kinds.find((a) => a.key === k)?.label ?? k ?? '—';

  const submit = async () => {
    setBusy(true);
    try {
      setResult(await api.importLegacy(text));
      setFailure(null);
      onImported();
    } catch (e) {
      const f = e as ApiFailure;
      setFailure({ message: f.message, errors: f.errors, sent: text });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Import legacy output types" onClose={onClose} testId="legacy-import-dialog" wide>
      <div className="dialog-body">
        {result ? (
          <div data-testid="legacy-import-results">
            <p className="notice notice-info">
              Imported {result.imported.length} output type{result.imported.length === 1 ? '' : 's'} on the legacy rollout. The compat adapter maps them as follows.
            </p>
            {result.imported.map((r, i) => {
              const id = r.key ?? String(i);
              const m = r.mapping;
              return (
                <div key={id} className="import-item" data-testid={`legacy-result-${id}`}>
                  <div className="import-item-head">
                    <span className="strong">{r.name ?? r.key}</span>
                    <span className="mono small muted">{r.key}</span>
                    <span className="legacy-arrow-inline" aria-hidden="true">
                      →
                    </span>
                    <span className="badge badge-muted" title={m?.artifact_kind} data-testid={`legacy-result-kind-${id}`}>
                      {m ? kindLabel(m.artifact_kind) : 'no mapping'}
                    </span>
                  </div>
                  {m && (
                    <>
                      <KvTable rows={settingRows(m.overrides)} testId={`legacy-result-overrides-${id}`} empty="No invocation overrides." />
                      <PointerList items={(m.warnings ?? []).map(placed(0))} tone="warn" title="Warnings" testId={`legacy-result-warnings-${id}`} />
                      <PointerList items={(m.errors ?? []).map(placed(0))} tone="error" title="Cannot be adapted" testId={`legacy-result-errors-${id}`} />
                    </>
                  )}
                </div>
              );
            })}
            <div className="dialog-actions">
              <button
                type="button"
                onClick={() => {
                  setResult(null);
                  setText('');
                }}
              >
                Import more
              </button>
              <button type="button" className="primary" onClick={onClose} data-testid="legacy-import-done">
                Done
              </button>
            </div>
          </div>
        ) : (
          <>
            <p className="muted small">
              Paste a JSON list of old output types{hint && <> (each with {hint}; * is required)</>}. The server imports all of them or none, each on the legacy rollout.
            </p>
            <label htmlFor="legacy-import-text" className="block-label">
              Legacy output types
            </label>
            <textarea
              id="legacy-import-text"
              className="mono"
              rows={12}
              value={text}
              onChange={(e) => setText(e.target.value)}
              spellCheck={false}
              data-testid="legacy-import-text"
            />
            {failure && <FailureView failure={failure} />}
            <div className="dialog-actions">
              <button type="button" onClick={onClose}>
                Cancel
              </button>
              <button type="button" className="primary" onClick={submit} disabled={busy || !text.trim()} data-testid="legacy-import-submit">
                Import
              </button>
            </div>
          </>
        )}
      </div>
    </Modal>
  );
}
