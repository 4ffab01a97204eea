// A served document shown and edited by its own values: each value's input
// follows its JSON type (a list of 3-4 numbers from 0 to 1 is a colour), and
// where the served schema allows only some values, a choice among them.
// Top-level values, then a card per object, then a table per list of objects.
import { humanize } from '../params';
import { cellPointer, choicesAt, colourHex, getAt, hexColour, isColour, leafText, parseLeaf, toPointer, type DocLayout, type Edits, type Leaf, type LeafKind } from '../settings';
import type { JSONSchema, JSONValue, PointerProblem } from '../types';
import { FieldErrors } from './CatalogBits';

/** A linear RGB colour as the screen shows it. */
export function Swatch({ rgb }: { rgb: readonly number[] }) {
  return <span className="swatch" style={{ background: colourHex(rgb) }} title={`linear RGB ${rgb.join(', ')}`} aria-hidden="true" />;
}

export function LeafValue({ value, kind }: { value: JSONValue | undefined; kind: LeafKind }) {
  if (value === undefined) return <span className="muted">—</span>;
  if (kind === 'colour' && isColour(value))
    return (
      <span className="colour-value">
        <Swatch rgb={value} />
        <span className="mono small">{leafText(value, kind)}</span>
      </span>
    );
  if (kind === 'strings' && Array.isArray(value))
    return (
      <span className="map-chips">
        {value.map((v, i) => (
          <span key={i} className="badge badge-muted mono">
            {String(v)}
          </span>
        ))}
      </span>
    );
  if (kind === 'string') return <>{String(value)}</>;
  return <span className="mono">{leafText(value, kind)}</span>;
}

interface LeafInputProps {
  pointer: string;
  kind: LeafKind;
  text: string;
  invalid: boolean;
  label: string;
  /** the values the schema allows, when it names them */
  choices?: readonly string[];
  onChange: (text: string) => void;
}

function LeafInput({ pointer, kind, text, invalid, label, choices, onChange }: LeafInputProps) {
  if (choices && kind === 'string')
    return (
      <select value={text} className={invalid ? 'input-error' : undefined} onChange={(e) => onChange(e.target.value)} aria-label={label} aria-invalid={invalid || undefined} data-testid={`input-${pointer}`}>
        {!choices.includes(text) && <option value={text}>{text || '—'}</option>}
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  if (kind === 'boolean')
    return <input type="checkbox" checked={text === 'true'} onChange={(e) => onChange(String(e.target.checked))} aria-label={label} data-testid={`input-${pointer}`} />;
  const field = (
    <input
      value={text}
      className={`leaf-${kind}${invalid ? ' input-error' : ''}`}
      inputMode={kind === 'number' ? 'decimal' : undefined}
      spellCheck={kind === 'string'}
      onChange={(e) => onChange(e.target.value)}
      aria-label={label}
      aria-invalid={invalid || undefined}
      data-testid={`input-${pointer}`}
    />
  );
  if (kind !== 'colour') return field;
  const parsed = parseLeaf(text, kind);
  const rgb = isColour(parsed) ? parsed : undefined;
  return (
    <span className="colour-input">
      <input type="color" value={rgb ? colourHex(rgb) : '#000000'} onChange={(e) => onChange(hexColour(e.target.value, rgb).join(', '))} aria-label={`${label}: pick`} />
      {field}
    </span>
  );
}

export interface DocBodyProps {
  /** the document as it stands (the structure being edited) */
  doc: JSONValue;
  layout: DocLayout;
  edits: Edits;
  editing: boolean;
  /** pointers shown but never edited (the document's identity) */
  readOnly: readonly string[];
  /** the schema the server checks a save with; its enums become choices */
  schema?: JSONSchema;
  pins: Map<string, PointerProblem[]>;
  onEdit: (pointer: string, text: string, kind: LeafKind) => void;
  onAddItem: (path: string[]) => void;
  onRemoveItem: (path: string[], index: number) => void;
}

export function DocBody({ doc, layout, edits, editing, readOnly, schema, pins, onEdit, onAddItem, onRemoveItem }: DocBodyProps) {
  const value = (pointer: string, path: string[], kind: LeafKind, label: string) => {
    const v = getAt(doc, path);
    if (!editing || readOnly.includes(pointer)) return <LeafValue value={v} kind={kind} />;
    return (
      <LeafInput
        pointer={pointer}
        kind={kind}
        label={label}
        text={edits[pointer]?.text ?? leafText(v, kind)}
        invalid={!!pins.get(pointer)}
        choices={choicesAt(schema, path)}
        onChange={(t) => onEdit(pointer, t, kind)}
      />
    );
  };

  const grid = (items: Leaf[], skip: number) => (
    <div className="leaf-grid">
      {items.map((l) => {
        const label = l.path.slice(skip).map(humanize).join(' › ');
        return (
          <div key={l.pointer} className={`leaf-row${pins.get(l.pointer) ? ' has-error' : ''}`} data-testid={`leaf-${l.pointer}`}>
            <span className="leaf-label" title={l.pointer}>
              {label}
            </span>
            <span className="leaf-value">
              {value(l.pointer, l.path, l.kind, label)}
              <FieldErrors problems={pins.get(l.pointer)} testId={`errors-${l.pointer}`} />
            </span>
          </div>
        );
      })}
    </div>
  );

  return (
    <div className="doc-body">
      <div className="doc-cards">
        {layout.general.length > 0 && (
          <div className="card doc-card">
            <div className="card-title">General</div>
            {grid(layout.general, 0)}
          </div>
        )}
        {layout.groups.map((g) => (
          <div key={g.key} className="card doc-card" data-testid={`group-${g.key}`}>
            <div className="card-title">{humanize(g.key)}</div>
            <FieldErrors problems={pins.get(g.pointer)} testId={`errors-${g.pointer}`} />
            {grid(g.leaves, 1)}
          </div>
        ))}
      </div>
      {layout.tables.map((t) => {
        const span = t.columns.length + (editing ? 1 : 0);
        return (
          <div key={t.key} className="card doc-card" data-testid={`table-${t.key}`}>
            <div className="card-title">
              {humanize(t.key)} <span className="badge badge-muted">{t.items.length}</span>
            </div>
            <FieldErrors problems={pins.get(t.pointer)} testId={`errors-${t.pointer}`} />
            <div className="table-scroll">
              <table className="runs-table doc-table">
                <thead>
                  <tr>
                    {t.columns.map((c) => (
                      <th key={c.path.join('/')} title={c.path.join('.')} className={c.kind === 'number' ? 'num' : ''}>
                        {c.label}
                      </th>
                    ))}
                    {editing && <th />}
                  </tr>
                </thead>
                <tbody>
                  {t.items.map((_, i) => {
                    const rowPointer = toPointer([...t.path, String(i)]);
                    return [
                      <tr key={i} data-testid={`row-${rowPointer}`}>
                        {t.columns.map((c) => {
                          const ptr = cellPointer(t, i, c);
                          return (
                            <td key={ptr} className={c.kind === 'number' ? 'num' : ''} data-testid={`cell-${ptr}`}>
                              {value(ptr, [...t.path, String(i), ...c.path], c.kind, `${c.label} of row ${i + 1}`)}
                              <FieldErrors problems={pins.get(ptr)} testId={`errors-${ptr}`} />
                            </td>
                          );
                        })}
                        {editing && (
                          <td className="row-actions">
                            <button type="button" className="link-button danger" onClick={() => onRemoveItem(t.path, i)} aria-label={`Remove row ${i + 1}`}>
                              Remove
                            </button>
                          </td>
                        )}
                      </tr>,
                      pins.get(rowPointer) && (
                        <tr key={`${i}-problems`} className="row-problems">
                          <td colSpan={span}>
                            <FieldErrors problems={pins.get(rowPointer)} testId={`errors-${rowPointer}`} />
                          </td>
                        </tr>
                      ),
                    ];
                  })}
                </tbody>
              </table>
            </div>
            {editing && (
              <button type="button" className="doc-add" onClick={() => onAddItem(t.path)} data-testid={`add-${t.key}`}>
                + Add a row
              </button>
            )}
          </div>
        );
      })}
    </div>
  );
}
