// Who is signed in, and the way out, beside the app's name in every top bar.
import { authApi } from '../api';
import { session, setSession } from '../session';

export function SessionChip() {
  const who = session();
  if (!who) return null;
  const out = () => {
    authApi
      .signOut()
      .catch(() => undefined)
      .finally(() => setSession(null));
  };
  return (
    <div className="session-chip" data-testid="session-chip">
      {/* The token's name says how it was made ("editor sign-in" is the
          link's); its roles say what it may do, so both are shown. */}
      <span title={`Token: ${who.name}`}>
        {who.name} · <span data-testid="session-roles">{who.roles.join(', ')}</span>
      </span>
      <button type="button" className="link-button" onClick={out} data-testid="sign-out">
        Sign out
      </button>
    </div>
  );
}
