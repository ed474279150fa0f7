/**
 * What the Account page and the header do: register (then sign in), sign in
 * and sign out, on the gateway, keeping the session in the `SessionStore`.
 * Signing out ends the session on the server, clears the stream service's
 * cookie, and forgets the token here even when the server cannot be told.
 */

import type { AccountApi } from './accountApi';
import type { Session, SessionStore } from './session';

export class Accounts {
  readonly session: SessionStore;
  private readonly api: Pick<AccountApi, 'register' | 'login' | 'logout' | 'me' | 'closeStreamSession'>;

  constructor(api: Accounts['api'], session: SessionStore) {
    this.api = api;
    this.session = session;
  }

  /** Signs in; throws an Error saying why it could not. */
  async signIn(username: string, password: string): Promise<Session> {
    const session = await this.api.login(username, password);
    this.session.set(session);
    return session;
  }

  /** Creates the account, then signs in with it; throws an Error saying why it could not. */
  async register(username: string, password: string): Promise<Session> {
    await this.api.register(username, password);
    return this.signIn(username, password);
  }

  /**
   * Signs out. Resolves to null, or to a sentence when the server could not
   * be told (the page has forgotten the session anyway).
   */
  async signOut(): Promise<string | null> {
    const token = this.session.token();
    if (token === null) return null;
    // The cookie goes first, so the anonymous stream that follows is not opened with it.
    const [logout] = await Promise.allSettled([this.api.logout(token), this.api.closeStreamSession()]);
    if (this.session.token() === token) this.session.clear();
    if (logout.status === 'rejected') {
      const why = logout.reason instanceof Error ? logout.reason.message : String(logout.reason);
      return `Signed out on this page, but the server could not be told: ${why}`;
    }
    return null;
  }

  /** Forgets a stored session the server no longer knows (after a reload, say). */
  async check(): Promise<void> {
    const token = this.session.token();
    if (token === null) return;
    try {
      await this.api.me(token);
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (status === 401 && this.session.token() === token) this.session.clear();
    }
  }
}
