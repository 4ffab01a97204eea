// A catalog item type as a settings page: the list, a dialog that creates or
// edits one, and delete. The form's fields come from the item's OpenAPI
// component (editable = not readOnly); every problem the server reports is
// pinned to its field by pointer; an edit sends the revision it started from,
// so a save that would overwrite someone else's answers 409 and says so.
import { useMemo, useState, type ReactNode } from 'react';
import type { ItemsApi } from '../api';
import { formatValue } from '../params';
import { formBody, formFields, formState, pinProblems, SAVED, saveFailure, toPointer, valuesOf, type FormField, type FormState, type SaveState } from '../settings';
import type { ItemMeta, JSONSchema } from '../types';
import { useFetched } from '../useFetched';
import { FieldErrors, ListFrame, SaveProblems } from './CatalogBits';
import { ConfirmDialog, deleteConfirm, type ConfirmRequest, type Notice } from './ConfirmDialog';
import { Modal } from './Modal';

type Item = ItemMeta & { key: string };
type Doc = Record<string, unknown>;

/** The keys a map field offers (a tier's prices: the vocabulary's artifact kinds). */
export interface MapKey {
  key: string;
  label: string;
}

export interface ItemsPageProps<T extends Item> {
  title: string;
  /** "category", "pricing tier" */
  noun: string;
  testId: string;
  items: ItemsApi<T>;
  schema: JSONSchema | undefined;
  mapKeys?: readonly MapKey[];
  /** a map field's value in the list (a price in the tier's currency) */
  formatMapValue?: (value: unknown, item: T) => string;
  /** text fields whose existing values are offered as suggestions */
  suggestFrom?: readonly (keyof T & string)[];
  deleteMessage: string;
}

/** The map's rows: the offered keys, then any the document has beyond them. */
function mapRows(keys: readonly MapKey[], values: Record<string, string>): MapKey[] {
  const known = new Set(keys.map((k) => k.key));
  return [...keys, ...Object.keys(values).filter((k) => !known.has(k)).map((k) => ({ key: k, label: k }))];
}

interface DialogProps<T extends Item> {
  noun: string;
  fields: FormField[];
  initial: T | null;
  items: ItemsApi<T>;
  mapKeys: readonly MapKey[];
  suggestions: Record<string, string[]>;
  onSaved: (doc: T, created: boolean) => void;
  onClose: () => void;
}

function ItemDialog<T extends Item>({ noun, fields, initial, items, mapKeys, suggestions, onSaved, onClose }: DialogProps<T>) {
  const isNew = !initial;
  const [form, setForm] = useState<FormState>(() => formState(initial as Doc | null, fields));
  const [revision, setRevision] = useState(initial?.revision);
  const [saved, setSaved] = useState<SaveState>(SAVED);
  const [busy, setBusy] = useState(false);

  const keys = useMemo(
    () =>
      fields.flatMap((f) => {
        const own = toPointer([f.key]);
        const v = form[f.key];
        return f.kind === 'map' ? [own, ...mapRows(mapKeys, typeof v === 'object' ? v : {}).map((k) => toPointer([f.key, k.key]))] : [own];
      }),
    [fields, form, mapKeys],
  );
  const { pinned, rest } = pinProblems(saved.problems, keys);
  const at = (...path: string[]) => pinned.get(toPointer(path));

  const save = async () => {
    setBusy(true);
    try {
      const body = formBody(form, fields, isNew ? undefined : revision);
      const doc = isNew ? await items.create(body) : await items.update(initial.key, body);
      onSaved(doc, isNew);
    } catch (e) {
      setSaved(saveFailure(e));
    } finally {
      setBusy(false);
    }
  };

  const reload = async () => {
    if (!initial) return;
    try {
      const doc = await items.get(initial.key);
      setForm(formState(doc as Doc, fields));
      setRevision(doc.revision);
      setSaved(SAVED);
    } catch (e) {
      setSaved(saveFailure(e));
    }
  };

  const input = (f: FormField): ReactNode => {
    const id = `item-${f.key}`;
    const v = form[f.key];
    const bad = !!at(f.key);
    if (f.kind === 'map') {
      const values = typeof v === 'object' ? v : {};
      return (
        <div className="map-grid" id={id}>
          {mapRows(mapKeys, values).map((k) => (
            <div key={k.key} className="map-row">
              <label htmlFor={`${id}-${k.key}`}>
                {k.label} <span className="mono small muted">{k.key}</span>
              </label>
              <input
                id={`${id}-${k.key}`}
                inputMode="decimal"
                value={values[k.key] ?? ''}
                className={at(f.key, k.key) ? 'input-error' : ''}
                onChange={(e) => setForm({ ...form, [f.key]: { ...values, [k.key]: e.target.value } })}
                data-testid={`${id}-${k.key}`}
              />
              <FieldErrors problems={at(f.key, k.key)} testId={`${id}-${k.key}-error`} />
            </div>
          ))}
        </div>
      );
    }
    const list = suggestions[f.key];
    return (
      <>
        <input
          id={id}
          value={typeof v === 'string' ? v : ''}
          inputMode={f.kind === 'number' ? 'decimal' : undefined}
          disabled={!isNew && f.key === 'key'}
          className={bad ? 'input-error' : ''}
          list={list?.length ? `${id}-list` : undefined}
          onChange={(e) => setForm({ ...form, [f.key]: e.target.value })}
          data-testid={id}
        />
        {list?.length ? (
          <datalist id={`${id}-list`}>
            {list.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        ) : null}
      </>
    );
  };

  return (
    <Modal title={isNew ? `New ${noun}` : `Edit ${noun} ${initial.key}`} onClose={onClose} testId="item-dialog">
      <form
        className="dialog-body item-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save();
        }}
      >
        {fields.map((f) => (
          <div key={f.key} className={`form-field${at(f.key) ? ' has-error' : ''}`} data-testid={`field-${f.key}`}>
            <label htmlFor={`item-${f.key}`}>
              {f.label}
              {f.required && <span className="required">*</span>}
            </label>
            {input(f)}
            {typeof f.schema.description === 'string' && <span className="muted small">{f.schema.description}</span>}
            <FieldErrors problems={at(f.key)} testId={`field-${f.key}-error`} />
          </div>
        ))}
        <SaveProblems state={saved} rest={rest} onReload={reload} testId="item" />
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy} data-testid="item-save">
            {isNew ? `Create ${noun}` : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

const NONE: readonly never[] = [];

export function ItemsPage<T extends Item>({ title, noun, testId, items, schema, mapKeys = NONE, formatMapValue, suggestFrom = NONE, deleteMessage }: ItemsPageProps<T>) {
  const { data: list, error, reload: load } = useFetched(items.list);
  const [editing, setEditing] = useState<T | 'new' | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const fields = useMemo(() => formFields(schema), [schema]);
  // The list's columns: the name (with the key under it), then the other fields.
  const shown = fields.filter((f) => f.key !== 'key' && f.key !== 'name');

  const suggestions = useMemo(() => Object.fromEntries(suggestFrom.map((k) => [k, valuesOf((list ?? []) as Doc[], k)])), [suggestFrom, list]);
  const mapLabel = (k: string) => mapKeys.find((m) => m.key === k)?.label ?? k;

  const remove = (item: T) =>
    setConfirm(
      deleteConfirm(
        item.key,
        deleteMessage,
        () => items.remove(item.key),
        (n, deleted) => {
          setNotice(n);
          if (deleted) load();
        },
      ),
    );

  const cell = (f: FormField, item: T): ReactNode => {
    const v = (item as Doc)[f.key];
    if (f.kind === 'map' && v && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (!entries.length) return <span className="muted">—</span>;
      return (
        <span className="map-chips">
          {entries.map(([k, x]) => (
            <span key={k} className="map-chip" title={k} data-testid={`${testId}-${item.key}-${f.key}-${k}`}>
              <span className="muted">{mapLabel(k)}</span> <span className="strong">{formatMapValue ? formatMapValue(x, item) : formatValue(x)}</span>
            </span>
          ))}
        </span>
      );
    }
    if (v === undefined || v === '') return <span className="muted">—</span>;
    return f.kind === 'text' ? String(v) : <span className="mono">{formatValue(v)}</span>;
  };

  return (
    <ListFrame
      title={title}
      testId={testId}
      rows={list}
      error={error}
      onRefresh={load}
      actions={
        <button type="button" className="primary" onClick={() => setEditing('new')} disabled={!fields.length} data-testid={`${testId}-new`}>
          New {noun}
        </button>
      }
      notices={
        <>
          {!fields.length && <p className="notice notice-error">The server serves no schema for a {noun}, so there is no form.</p>}
          {notice && (
            <p className={`notice${notice.tone === 'error' ? ' notice-error' : ' notice-info'}`} data-testid={`${testId}-notice`}>
              {notice.text}
            </p>
          )}
        </>
      }
    >
      {list && (
        <table className="runs-table settings-table" data-testid={`${testId}-table`}>
          <thead>
            <tr>
              <th>Name</th>
              {shown.map((f) => (
                <th key={f.key}>{f.label}</th>
              ))}
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((item) => (
              <tr key={item.key} data-testid={`${testId}-row-${item.key}`}>
                <td>
                  <span className="strong">{String((item as Doc).name ?? item.key)}</span>
                  <div className="mono small muted">{item.key}</div>
                </td>
                {shown.map((f) => (
                  <td key={f.key}>{cell(f, item)}</td>
                ))}
                <td className="row-actions">
                  <button type="button" onClick={() => setEditing(item)} data-testid={`${testId}-edit-${item.key}`}>
                    Edit
                  </button>
                  <button type="button" className="link-button danger" onClick={() => remove(item)} aria-label={`Delete ${item.key}`} data-testid={`${testId}-delete-${item.key}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <ItemDialog
          noun={noun}
          fields={fields}
          initial={editing === 'new' ? null : editing}
          items={items}
          mapKeys={mapKeys}
          suggestions={suggestions}
          onClose={() => setEditing(null)}
          onSaved={(doc, created) => {
            setEditing(null);
            setNotice({ text: `${created ? 'Created' : 'Saved'} ${doc.key}.`, tone: 'info' });
            load();
          }}
        />
      )}
      {confirm && <ConfirmDialog req={confirm} onClose={() => setConfirm(null)} />}
    </ListFrame>
  );
}
