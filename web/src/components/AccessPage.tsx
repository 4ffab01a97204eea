// Settings › Access (admins): the API tokens of this installation, made,
// shown once and revoked here, and the audit log of who changed what.
import { useCallback, useState, type FormEvent } from 'react';
import { authApi, type Token } from '../api';
import { useFetched } from '../useFetched';
import { ListFrame } from './CatalogBits';
import { Modal } from './Modal';

const ROLES: [string, string][] = [
  ['viewer', 'reads everything'],
  ['editor', 'workflows, output types, templates, libraries'],
  ['operator', 'products, CAD files, orders, runs'],
  ['admin', 'everything, tokens included'],
  ['worker', 'the artifact store, for prodflow worker'],
  ['metrics', 'GET /metrics only, for Prometheus'],
];

const when = (iso?: string) => (iso ? new Date(iso).toLocaleString() : '—');

export function AccessPage() {
  const tokens = useFetched(authApi.tokens);
  const audit = useFetched(useCallback(() => authApi.audit(50), []));
  const [creating, setCreating] = useState(false);
  const [made, setMade] = useState<Token | null>(null);
  const [error, setError] = useState('');

  const revoke = async (t: Token) => {
    try {
      await authApi.revokeToken(t.id);
      await tokens.reload();
      await audit.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <>
      <ListFrame
        title="API tokens"
        testId="tokens"
        rows={tokens.data}
        error={tokens.error || error}
        onRefresh={tokens.reload}
        actions={
          <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="tokens-new">
            New token
          </button>
        }
        notices={
          made?.token && (
            <div className="notice notice-info" data-testid="token-made">
              <p>
                Token <strong>{made.name}</strong> made. Copy it now: it is shown only once.
              </p>
              <code className="token-secret" data-testid="token-secret">
                {made.token}
              </code>
            </div>
          )
        }
      >
        <table className="runs-table settings-table" data-testid="tokens-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Roles</th>
              <th>Made</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {(tokens.data ?? []).map((t) => (
              <tr key={t.id} className={t.revoked_at ? 'row-revoked' : ''} data-testid={`token-row-${t.id}`}>
                <td>
                  <span className="strong">{t.name}</span>
                  <div className="mono small muted">{t.id}</div>
                </td>
                <td>{t.roles.join(', ')}</td>
                <td>
                  {when(t.created_at)}
                  {t.created_by && <div className="small muted">by {t.created_by}</div>}
                </td>
                <td>{t.revoked_at ? <span className="badge badge-error">revoked {when(t.revoked_at)}</span> : when(t.expires_at)}</td>
                <td className="row-actions">
                  {!t.revoked_at && (
                    <button type="button" className="link-button danger" onClick={() => revoke(t)} data-testid={`token-revoke-${t.id}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ListFrame>
      <ListFrame title="Audit log" testId="audit" rows={audit.data} error={audit.error} onRefresh={audit.reload}>
        <table className="runs-table settings-table" data-testid="audit-table">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>What</th>
            </tr>
          </thead>
          <tbody>
            {(audit.data ?? []).map((e) => (
              <tr key={e.id}>
                <td>{when(e.at)}</td>
                <td>{e.token}</td>
                <td className="mono small">
                  {e.method} {e.path}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ListFrame>
      {creating && (
        <NewTokenDialog
          onClose={() => setCreating(false)}
          onMade={async (t) => {
            setCreating(false);
            setMade(t);
            await tokens.reload();
            await audit.reload();
          }}
        />
      )}
    </>
  );
}

function NewTokenDialog({ onClose, onMade }: { onClose: () => void; onMade: (t: Token) => void }) {
  const [name, setName] = useState('');
  const [roles, setRoles] = useState<string[]>(['viewer']);
  const [days, setDays] = useState('');
  const [error, setError] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      onMade(await authApi.createToken({ name: name.trim(), roles, ...(days ? { expires_in_days: Number(days) } : {}) }));
    } catch (err) {
      setError((err as Error).message);
    }
  };

  return (
    <Modal title="New API token" onClose={onClose} testId="token-dialog">
      <form className="dialog-body" onSubmit={submit}>
        <label className="field-row">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="render farm, CI, Anna's laptop" data-testid="token-name" />
        </label>
        <fieldset className="field-row">
          <legend>Roles</legend>
          {ROLES.map(([role, what]) => (
            <label key={role} className="checkbox-row">
              <input
                type="checkbox"
                checked={roles.includes(role)}
                onChange={(e) => setRoles(e.target.checked ? [...roles, role] : roles.filter((r) => r !== role))}
                data-testid={`token-role-${role}`}
              />
              <span className="strong">{role}</span> <span className="muted">{what}</span>
            </label>
          ))}
        </fieldset>
        <label className="field-row">
          <span>Expires after (days, empty for never)</span>
          <input type="number" min={1} value={days} onChange={(e) => setDays(e.target.value)} data-testid="token-days" />
        </label>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!name.trim() || !roles.length} data-testid="token-create">
            Make token
          </button>
        </div>
      </form>
    </Modal>
  );
}
