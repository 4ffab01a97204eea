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
      <span title={`Roles: ${who.roles.join(', ')}`}>{who.name}</span>
      <button type="button" className="link-button" onClick={out} data-testid="sign-out">
        Sign out
      </button>
    </div>
  );
}
