// The files the server ships and lets operators edit (material libraries,
// render templates): a list, and one file's page. Saving PUTs the edited copy
// into the data directory, which then wins; "Restore shipped" DELETEs it.
import { useCallback, useMemo, useState } from 'react';
import type { FilesApi } from '../api';
import { humanize } from '../params';
import type { Navigate } from '../route';
import {
  applyEdits,
  docLayout,
  docTitle,
  getAt,
  layoutKeys,
  leafKind,
  pinProblems,
  removeItem,
  SAVED,
  saveFailure,
  setAt,
  sourceLabel,
  summaryFields,
  type Edits,
  type SaveState,
} from '../settings';
import type { JSONObject, PointerProblem } from '../types';
import { useFetched } from '../useFetched';
import { AppLink, ListFrame, PointerList, SaveProblems } from './CatalogBits';
import { ConfirmDialog, type ConfirmRequest, type Notice } from './ConfirmDialog';
import { DocBody, LeafValue } from './DocFields';

type Row = Record<string, unknown>;
const NONE: readonly string[] = [];

function SourceBadge({ source }: { source: unknown }) {
  const s = sourceLabel(source);
  if (!s) return null;
  return (
    <span className={`badge ${s.edited ? 'source-edited' : 'source-shipped'}`} title={`source: ${String(source)}`} data-testid="file-source">
      {s.label}
    </span>
  );
}

export interface FilesListProps {
  files: FilesApi<object>;
  title: string;
  idField: string;
  /** fields the list never shows (a template's server-side file path) */
  hidden?: readonly string[];
  hrefOf: (name: string) => string;
  navigate: Navigate;
  testId: string;
}

export function FilesList({ files, title, idField, hidden = NONE, hrefOf, navigate, testId }: FilesListProps) {
  const { data, error, reload: load } = useFetched(files.list);
  const rows = (data?.items as Row[] | undefined) ?? null;
  const problems = data?.problems ?? {};

  // The title cell holds the label, the name and the description; a source the API names gets its own column.
  const columns = useMemo(() => summaryFields((rows ?? []) as JSONObject[], [idField, 'label', 'name', 'description', 'source', 'revision', ...hidden]), [rows, idField, hidden]);
  const withSource = (rows ?? []).some((r) => sourceLabel(r.source));

  return (
    <ListFrame
      title={title}
      testId={testId}
      rows={rows}
      error={error}
      onRefresh={load}
      notices={<PointerList items={Object.entries(problems).map(([file, why]) => ({ pointer: file, message: why }))} tone="warn" title="Files the server refused" testId={`${testId}-problems`} />}
    >
      {rows && (
        <table className="runs-table settings-table" data-testid={`${testId}-table`}>
          <thead>
            <tr>
              <th>Name</th>
              {columns.map((c) => (
                <th key={c}>{humanize(c)}</th>
              ))}
              {withSource && <th>Source</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const name = String(r[idField]);
              return (
                <tr key={name} className="runs-row" onClick={() => navigate(hrefOf(name))} data-testid={`${testId}-row-${name}`}>
                  <td className="title-cell">
                    <AppLink href={hrefOf(name)} navigate={navigate} className="strong">
                      {docTitle(r, idField)}
                    </AppLink>
                    <div className="mono small muted">{name}</div>
                    {typeof r.description === 'string' && <div className="small muted">{r.description}</div>}
                  </td>
                  {columns.map((c) => (
                    <td key={c} className={typeof r[c] === 'number' ? 'num' : ''}>
                      <LeafValue value={r[c] as JSONObject[string] | undefined} kind={leafKind(r[c])} />
                    </td>
                  ))}
                  {withSource && (
                    <td>
                      <SourceBadge source={r.source} />
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </ListFrame>
  );
}

export interface FileDocPageProps {
  files: FilesApi<object>;
  name: string;
  /** "material library" */
  noun: string;
  idField: string;
  hidden?: readonly string[];
  listHref: string;
  listTitle: string;
  navigate: Navigate;
  testId: string;
}

export function FileDocPage({ files, name, noun, idField, hidden = NONE, listHref, listTitle, navigate, testId }: FileDocPageProps) {
  const [editing, setEditing] = useState(false);
  const [base, setBase] = useState<JSONObject>({});
  const [edits, setEdits] = useState<Edits>({});
  const [mode, setMode] = useState<'fields' | 'json'>('fields');
  const [jsonText, setJsonText] = useState('');
  const [saved, setSaved] = useState<SaveState>(SAVED);
  const [jsonError, setJsonError] = useState('');
  const [notice, setNotice] = useState<Notice | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);

  // The list says where the file comes from; the file itself does not.
  const fetchDoc = useCallback(async () => {
    const [doc, list] = await Promise.all([files.get(name), files.list().catch(() => null)]);
    return { doc, source: (list?.items as Row[] | undefined)?.find((r) => r[idField] === name)?.source };
  }, [files, name, idField]);
  const { data, error: loadError, reload: load } = useFetched(fetchDoc);
  const { data: schema } = useFetched(files.schema);
  const doc = data?.doc ?? null;
  const source = data?.source;

  // Memoised: a fresh {} each render would redo the layout below every time.
  const shown = useMemo(() => (editing ? base : (doc ?? {})), [editing, base, doc]);
  // The revision goes back with a save (a stale one is refused), never edited.
  const layout = useMemo(() => docLayout(shown, ['revision', ...hidden]), [shown, hidden]);
  const { pinned, rest } = useMemo(
    () => (editing && mode === 'fields' ? pinProblems(saved.problems, layoutKeys(layout)) : { pinned: new Map<string, PointerProblem[]>(), rest: saved.problems }),
    [editing, mode, saved, layout],
  );
  const src = sourceLabel(source);

  const clearProblems = () => {
    setSaved(SAVED);
    setJsonError('');
  };
  const startEdit = () => {
    if (!doc) return;
    setBase(doc);
    setEdits({});
    setMode('fields');
    clearProblems();
    setNotice(null);
    setEditing(true);
  };
  const current = () => applyEdits(base, edits);
  const switchMode = (m: 'fields' | 'json') => {
    if (m === mode) return;
    if (m === 'json') {
      setJsonText(JSON.stringify(current(), null, 2));
      setMode(m);
      return;
    }
    try {
      const parsed = JSON.parse(jsonText) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('it is not a JSON object');
      setBase(parsed as JSONObject);
      setEdits({});
      setMode(m);
      setJsonError('');
    } catch (e) {
      setJsonError(`The JSON cannot be shown as fields: ${(e as Error).message}`);
    }
  };

  const save = async () => {
    let body: JSONObject;
    if (mode === 'json') {
      try {
        body = JSON.parse(jsonText) as JSONObject;
      } catch (e) {
        setJsonError(`The JSON does not parse: ${(e as Error).message}`);
        return;
      }
    } else body = current();
    setBusy(true);
    try {
      await files.save(name, body);
      setEditing(false);
      clearProblems();
      setNotice({ text: `Saved. The edited copy in the data directory now wins over the shipped ${noun}.`, tone: 'info' });
      await load();
    } catch (e) {
      setSaved(saveFailure(e));
    } finally {
      setBusy(false);
    }
  };

  const restore = () =>
    setConfirm({
      title: `Restore the shipped ${noun}?`,
      message: `The edited copy of ${name} in the data directory is deleted and the shipped one shows again.`,
      confirm: 'Restore shipped',
      danger: true,
      onConfirm: async () => {
        try {
          await files.restore(name);
          setNotice({ text: `Restored the shipped ${noun}.`, tone: 'info' });
          await load();
        } catch (e) {
          setNotice({ text: `Cannot restore ${name}: ${(e as Error).message}`, tone: 'error' });
        }
      },
    });

  const back = (
    <AppLink href={listHref} navigate={navigate} className="run-back">
      ← {listTitle}
    </AppLink>
  );
  if (loadError)
    return (
      <section data-testid={`${testId}-page`}>
        {back}
        <p className="notice notice-error">Cannot open {name}: {loadError}</p>
      </section>
    );
  if (!doc) return <p className="empty">Loading {name}…</p>;

  return (
    <section data-testid={`${testId}-page`} data-editing={editing}>
      {back}
      <div className="page-head">
        <h1>{docTitle(doc, idField)}</h1>
        <span className="mono muted">{name}</span>
        <SourceBadge source={source} />
        <span className="page-head-spacer" />
        {editing ? (
          <>
            <div className="segmented" role="group" aria-label="Edit as">
              {(['fields', 'json'] as const).map((m) => (
                <button type="button" key={m} className={mode === m ? 'active' : ''} aria-pressed={mode === m} onClick={() => switchMode(m)} data-testid={`file-mode-${m}`}>
                  {m === 'fields' ? 'Fields' : 'JSON'}
                </button>
              ))}
            </div>
            <button
              type="button"
              onClick={() => {
                setEditing(false);
                clearProblems();
              }}
              data-testid="file-cancel"
            >
              Cancel
            </button>
            <button type="button" className="primary" onClick={save} disabled={busy} data-testid="file-save">
              Save
            </button>
          </>
        ) : (
          <>
            {/* Without an edited copy there is nothing to restore; when the API does not say, the server answers. */}
            <button type="button" onClick={restore} disabled={!!src && !src.edited} data-testid="file-restore">
              Restore shipped
            </button>
            <button type="button" className="primary" onClick={startEdit} data-testid="file-edit">
              Edit
            </button>
          </>
        )}
      </div>
      {editing && <p className="muted small">Saving writes an edited copy into the data directory; the shipped file stays, and Restore shipped brings it back.</p>}
      {notice && (
        <p className={`notice${notice.tone === 'error' ? ' notice-error' : ' notice-info'}`} data-testid="file-notice">
          {notice.text}
        </p>
      )}
      {jsonError && (
        <p className="notice notice-error" role="alert" data-testid="file-json-error">
          {jsonError}
        </p>
      )}
      <SaveProblems
        state={saved}
        rest={rest}
        onReload={() => {
          setEditing(false);
          clearProblems();
          load();
        }}
        testId="file"
      />
      {editing && mode === 'json' ? (
        <textarea className="mono json-edit" rows={28} value={jsonText} onChange={(e) => setJsonText(e.target.value)} spellCheck={false} aria-label={`${noun} as JSON`} data-testid="file-json" />
      ) : (
        <DocBody
          doc={shown}
          layout={layout}
          edits={edits}
          editing={editing}
          readOnly={[`/${idField}`]}
          schema={schema ?? undefined}
          pins={pinned}
          onEdit={(pointer, text, kind) => setEdits((e) => ({ ...e, [pointer]: { text, kind } }))}
          onAddItem={(path) => {
            const items = getAt(base, path);
            setBase(setAt(base, [...path, String(Array.isArray(items) ? items.length : 0)], {}) as JSONObject);
            clearProblems();
          }}
          onRemoveItem={(path, i) => {
            const r = removeItem(base, edits, path, i);
            setBase(r.doc);
            setEdits(r.edits);
            clearProblems();
          }}
        />
      )}
      {confirm && <ConfirmDialog req={confirm} onClose={() => setConfirm(null)} />}
    </section>
  );
}
