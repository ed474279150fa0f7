// Register, sign in and sign out against a fake gateway: what the session store holds after each.
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../shared/apiCall';
import { Accounts } from './accountSession';
import { SessionStore } from './session';

const ADA = { token: 'tok_ada', username: 'ada', expiresAt: '' };

function accounts() {
  const api = {
    register: vi.fn(() => Promise.resolve({ id: 'a1', username: 'ada' })),
    login: vi.fn(() => Promise.resolve(ADA)),
    logout: vi.fn(() => Promise.resolve()),
    me: vi.fn(() => Promise.resolve({ id: 'a1', username: 'ada' })),
    closeStreamSession: vi.fn(() => Promise.resolve()),
  };
  return { api, accounts: new Accounts(api, new SessionStore(null)) };
}

describe('Accounts', () => {
  it('registers, then signs in with the same name and password', async () => {
    const { api, accounts: it_ } = accounts();
    await it_.register('ada', 'correct horse');
    expect(api.register).toHaveBeenCalledWith('ada', 'correct horse');
    expect(api.login).toHaveBeenCalledWith('ada', 'correct horse');
    expect(it_.session.getSnapshot()).toEqual(ADA);
  });

  it('keeps no session when signing in is refused', async () => {
    const { api, accounts: it_ } = accounts();
    api.login.mockRejectedValueOnce(new ApiError(429, 'Too many attempts; try again in 30 s.', 30));
    await expect(it_.signIn('ada', 'wrong-password')).rejects.toThrow('Too many attempts; try again in 30 s.');
    expect(it_.session.getSnapshot()).toBeNull();
  });

  it('signs out: ends the session, clears the stream cookie, forgets the token', async () => {
    const { api, accounts: it_ } = accounts();
    await it_.signIn('ada', 'correct horse');
    expect(await it_.signOut()).toBeNull();
    expect(api.logout).toHaveBeenCalledWith('tok_ada');
    expect(api.closeStreamSession).toHaveBeenCalled();
    expect(it_.session.getSnapshot()).toBeNull();
  });

  it('forgets the token even when the server cannot be told, and says so', async () => {
    const { api, accounts: it_ } = accounts();
    await it_.signIn('ada', 'correct horse');
    api.logout.mockRejectedValueOnce(new ApiError(null, 'Cannot reach the server.'));
    expect(await it_.signOut()).toMatch(/could not be told: Cannot reach the server/);
    expect(it_.session.getSnapshot()).toBeNull();
  });

  it('forgets a stored session the server no longer knows, and keeps one it cannot check', async () => {
    const { api, accounts: it_ } = accounts();
    it_.session.set(ADA);
    api.me.mockRejectedValueOnce(new ApiError(null, 'offline'));
    await it_.check();
    expect(it_.session.getSnapshot()).toEqual(ADA);
    api.me.mockRejectedValueOnce(new ApiError(401, 'Your session has ended; sign in again.'));
    await it_.check();
    expect(it_.session.getSnapshot()).toBeNull();
  });
});
