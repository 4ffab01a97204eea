import { useState } from 'react';
import { Modal } from './Modal';

export function ImportDialog({ onImport, onClose }: { onImport: (doc: unknown) => void; onClose: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState('');
  const submit = () => {
    try {
      const doc = JSON.parse(text);
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the JSON is not an object');
      onImport(doc);
    } catch (e) {
      setError(`Cannot import: ${(e as Error).message}`);
    }
  };
  return (
    <Modal title="Import workflow JSON" onClose={onClose} testId="import-dialog" wide>
      <div className="dialog-body">
        <p className="muted small">Paste a prodflow.workflow/v1 document or choose a file. The server validates it and pins each problem to its node.</p>
        <div className="field-row">
          <label htmlFor="import-file">File</label>
          <input
            id="import-file"
            type="file"
            accept="application/json,.json"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (f) {
                setText(await f.text());
                setError('');
              }
            }}
          />
        </div>
        <label htmlFor="import-text" className="block-label">
          JSON
        </label>
        <textarea
          id="import-text"
          className="mono"
          rows={14}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setError('');
          }}
          data-testid="import-text"
          spellCheck={false}
        />
        {error && (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={submit} disabled={!text.trim()} data-testid="import-submit">
            Import
          </button>
        </div>
      </div>
    </Modal>
  );
}
