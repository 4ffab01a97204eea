// The way in. The link `prodflow serve` (make run) prints at start-up signs
// this browser in once, with no password ever set; anyone else pastes an API
// token made with `prodflow token create` or on the Access page.
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiFailure, authApi } from '../api';
import { loginCodeFrom, onSessionChange, setSession, type SessionInfo } from '../session';
import { Brand } from './NavTabs';

type Gate = { state: 'checking' } | { state: 'signed-out'; message?: string } | { state: 'signed-in'; who: SessionInfo };

/** Renders children once the browser is signed in, the sign-in page until then. */
export function AuthGate({ children }: { children: ReactNode }) {
  const [gate, setGate] = useState<Gate>({ state: 'checking' });
  const started = useRef(false);

  useEffect(() => onSessionChange((s) => setGate(s ? { state: 'signed-in', who: s } : { state: 'signed-out', message: 'Your session ended: sign in again.' })), []);

  useEffect(() => {
    if (started.current) return; // StrictMode runs effects twice; a code works once
    started.current = true;
    const signIn = (code: string | undefined) => {
      if (code) window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
      (code ? authApi.signInWithCode(code) : authApi.whoami())
        .then((who) => setSession(who))
        .catch((e) => {
          const used = code && e instanceof ApiFailure && e.status === 401;
          setGate({
            state: 'signed-out',
            message: used ? 'That sign-in link was used already or is from an earlier start of the server.' : undefined,
          });
        });
    };
    signIn(loginCodeFrom(window.location.hash));
    // The link pasted into a tab that shows this page already changes only the fragment.
    const onHash = () => {
      const code = loginCodeFrom(window.location.hash);
      if (code) signIn(code);
    };
    window.addEventListener('hashchange', onHash);
  }, []);

  if (gate.state === 'checking') return <div className="signin-page" data-testid="signin-checking" />;
  if (gate.state === 'signed-out') return <SignIn message={gate.message} />;
  return <>{children}</>;
}

function SignIn({ message }: { message?: string }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setSession(await authApi.signInWithToken(token.trim()));
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };

  return (
    <div className="signin-page" data-testid="signin">
      <form className="signin-card card" onSubmit={submit}>
        <Brand />
        <h1>Sign in</h1>
        {message && <p className="signin-message">{message}</p>}
        <p>
          On the machine that runs Prodflow, open the <strong>sign-in link</strong> that <code>make run</code> (or{' '}
          <code>prodflow serve</code>) printed when it started. It works once; every start prints a new one.
        </p>
        <p className="muted">Or paste an API token, made with <code>prodflow token create --name NAME --role editor</code> or by an admin:</p>
        <label className="signin-field">
          <span>API token</span>
          <input
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="pft_…"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            data-testid="signin-token"
          />
        </label>
        {error && (
          <p className="field-error" role="alert" data-testid="signin-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || !token.trim()} data-testid="signin-submit">
          Sign in
        </button>
      </form>
    </div>
  );
}
