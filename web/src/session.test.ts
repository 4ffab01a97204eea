import { describe, expect, it } from 'vitest';
import { csrfHeaders, loginCodeFrom, mayAct, session, setSession } from './session';

describe('session', () => {
  it('reads the sign-in code from the fragment only', () => {
    expect(loginCodeFrom('#login=abc234')).toBe('abc234');
    expect(loginCodeFrom('#x=1&login=abc')).toBe('abc');
    expect(loginCodeFrom('#login=')).toBeUndefined();
    expect(loginCodeFrom('')).toBeUndefined();
    expect(loginCodeFrom('#login=a<b')).toBe('a');
  });

  it('sends the CSRF token with writes only', () => {
    setSession({ name: 'me', roles: ['editor'], csrf: 'c0ffee' });
    expect(csrfHeaders('GET')).toEqual({});
    expect(csrfHeaders('POST')).toEqual({ 'X-CSRF-Token': 'c0ffee' });
    expect(csrfHeaders('DELETE')).toEqual({ 'X-CSRF-Token': 'c0ffee' });
    setSession(null);
    expect(csrfHeaders('POST')).toEqual({});
    expect(session()).toBeNull();
  });

  it('follows the server role rules', () => {
    const as = (roles: string[]) => ({ name: 'x', roles, csrf: '' });
    expect(mayAct('viewer', as(['editor']))).toBe(true);
    expect(mayAct('viewer', as(['operator']))).toBe(true);
    expect(mayAct('viewer', as(['worker']))).toBe(false);
    expect(mayAct('editor', as(['operator']))).toBe(false);
    expect(mayAct('admin', as(['editor', 'operator']))).toBe(false);
    expect(mayAct('operator', as(['admin']))).toBe(true);
    expect(mayAct('viewer', null)).toBe(false);
  });
});
