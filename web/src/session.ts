// The editor's session. The server keeps the token in an HttpOnly,
// SameSite=Strict cookie the page cannot read; what the page holds is the
// CSRF token its writes echo, and who is signed in. Signing in is by the
// one-time link `prodflow serve` prints (#login=CODE) or by a pasted API token.

export interface SessionInfo {
  name: string;
  roles: string[];
  csrf: string;
  expires_at?: string;
}

let current: SessionInfo | null = null;
const listeners = new Set<(s: SessionInfo | null) => void>();

export function session(): SessionInfo | null {
  return current;
}

export function setSession(s: SessionInfo | null): void {
  current = s;
  for (const l of listeners) l(s);
}

/** Called with the new session (null when signed out); returns the unsubscribe. */
export function onSessionChange(listener: (s: SessionInfo | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** What a write made with the session cookie must carry. */
export function csrfHeaders(method: string): Record<string, string> {
  return method !== 'GET' && method !== 'HEAD' && current ? { 'X-CSRF-Token': current.csrf } : {};
}

/** Whether the signed-in token may act as role (admin may do everything; editor and operator include viewer). */
export function mayAct(role: 'viewer' | 'editor' | 'operator' | 'admin', s: SessionInfo | null = current): boolean {
  if (!s) return false;
  if (s.roles.includes('admin')) return true;
  if (role === 'viewer') return s.roles.some((r) => r === 'viewer' || r === 'editor' || r === 'operator');
  return s.roles.includes(role);
}

/** The sign-in code in the URL's fragment (#login=CODE), if any. */
export function loginCodeFrom(hash: string): string | undefined {
  const m = /(?:^#|&)login=([A-Za-z0-9]+)/.exec(hash);
  return m ? m[1] : undefined;
}
