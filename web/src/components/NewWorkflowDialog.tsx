import { useEffect, useState } from 'react';
import { api } from '../api';
import type { Family, WorkflowDoc } from '../types';
import { slugify } from '../workflow';
import { Modal } from './Modal';

export interface NewWorkflowRequest {
  family: Family;
  starter?: WorkflowDoc;
  id: string;
  name: string;
}

export interface NewWorkflowDialogProps {
  families: Family[];
  takenIds: ReadonlySet<string>;
  onCreate: (req: NewWorkflowRequest) => void;
  onClose: () => void;
  /** the family to start with (the output-type wizard asks for one) */
  initialFamily?: string;
}

function freeId(base: string, taken: ReadonlySet<string>): string {
  const b = base || 'workflow';
  if (!taken.has(b)) return b;
  for (let i = 2; ; i++) if (!taken.has(`${b}-${i}`)) return `${b}-${i}`;
}

export function NewWorkflowDialog({ families, takenIds, onCreate, onClose, initialFamily }: NewWorkflowDialogProps) {
  const [familyKey, setFamilyKey] = useState(families.find((f) => f.key === initialFamily)?.key ?? families[0]?.key ?? '');
  const [starters, setStarters] = useState<WorkflowDoc[] | string>('loading');
  const [start, setStart] = useState<string>(''); // '' = blank, else a starter id
  const [name, setName] = useState('');
  const [id, setId] = useState('');
  const [idEdited, setIdEdited] = useState(false);
  const family = families.find((f) => f.key === familyKey);

  useEffect(() => {
    if (!familyKey) return;
    let live = true;
    setStarters('loading');
    setStart('');
    api.starters(familyKey).then(
      (r) => live && setStarters(r.starters),
      (e: Error) => live && setStarters(e.message),
    );
    return () => {
      live = false;
    };
  }, [familyKey]);

  const starter = Array.isArray(starters) ? starters.find((s) => s.id === start) : undefined;
  const effectiveName = name || starter?.name || `New ${family?.label ?? familyKey} workflow`;
  const effectiveId = idEdited ? id : freeId(slugify(effectiveName), takenIds);

  return (
    <Modal title="New workflow" onClose={onClose} testId="new-workflow-dialog" wide>
      <form
        className="dialog-body"
        onSubmit={(e) => {
          e.preventDefault();
          if (family) onCreate({ family, starter, id: effectiveId, name: effectiveName });
        }}
      >
        <fieldset>
          <legend>1. Family</legend>
          <div className="choice-grid">
            {families.map((f) => (
              <label key={f.key} className={`choice${f.key === familyKey ? ' chosen' : ''}`} data-testid={`family-${f.key}`}>
                <input type="radio" name="family" value={f.key} checked={f.key === familyKey} onChange={() => setFamilyKey(f.key)} />
                <span className="choice-text">
                  <span className="strong">{f.label ?? f.key}</span> <span className="mono muted small">{f.key}</span>
                  {f.description && <span className="muted small block">{f.description}</span>}
                </span>
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>2. Start from</legend>
          <div className="choice-grid">
            <label className={`choice${start === '' ? ' chosen' : ''}`} data-testid="start-blank">
              <input type="radio" name="start" value="" checked={start === ''} onChange={() => setStart('')} />
              <span className="choice-text">
                <span className="strong">Blank</span>
                <span className="muted small block">
                  Only the entry node <span className="mono">{family?.entry_step}</span>.
                </span>
              </span>
            </label>
            {starters === 'loading' && <p className="empty">Loading starters…</p>}
            {typeof starters === 'string' && starters !== 'loading' && <p className="notice notice-error">{starters}</p>}
            {Array.isArray(starters) &&
              starters.map((s) => (
                <label key={s.id} className={`choice${start === s.id ? ' chosen' : ''}`} data-testid={`starter-${s.id}`}>
                  <input type="radio" name="start" value={s.id} checked={start === s.id} onChange={() => setStart(s.id)} />
                  <span className="choice-text">
                    <span className="strong">{s.name}</span> <span className="muted small">{s.nodes.length} nodes</span>
                    {s.description && <span className="muted small block">{s.description}</span>}
                  </span>
                </label>
              ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>3. Name</legend>
          <div className="field-row">
            <label htmlFor="new-name">Name</label>
            <input id="new-name" value={name} placeholder={effectiveName} onChange={(e) => setName(e.target.value)} data-testid="new-name" />
          </div>
          <div className="field-row">
            <label htmlFor="new-id">Id</label>
            <input
              id="new-id"
              className="mono"
              value={effectiveId}
              onChange={(e) => {
                setIdEdited(true);
                setId(e.target.value);
              }}
              data-testid="new-id"
            />
          </div>
          {takenIds.has(effectiveId) && <p className="notice notice-error">A workflow with the id {effectiveId} exists already.</p>}
        </fieldset>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!family || !effectiveId || takenIds.has(effectiveId)} data-testid="create-workflow">
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}
