/**
 * Accounts on the REST gateway — `POST /api/accounts` (register), `POST
 * /api/sessions` (sign in: the token comes back once), `GET
 * /api/accounts/me`, `DELETE /api/sessions/current` (sign out) — and the
 * stream service's session cookie: `POST /stream/session` with the bearer
 * header sets an HttpOnly cookie that `EventSource` on `/stream/timers`
 * sends (it cannot send headers), `DELETE /stream/session` clears it. The
 * token goes in headers only, never in a URL. `fetch` is injected.
 */

import { ApiError, callJson, serverSentence, tooManyAttempts, type Failure, type Fetch } from '../shared/apiCall';
import { gatewayUrl, streamUrl, type Endpoints } from '../shared/endpoints';
import { isToken, type Session } from './session';
import { newIdempotencyKey } from '../timers/timerApi';
import { recordOrEmpty } from '../shared/json';

export const ACCOUNTS_PATH = '/api/accounts';
export const SESSIONS_PATH = '/api/sessions';
export const STREAM_SESSION_PATH = '/stream/session';

export interface Account {
  readonly id: string;
  readonly username: string;
}

export class AccountApi {
  private readonly fetch: Fetch;
  private readonly endpoints: Endpoints;

  constructor(fetch: Fetch, endpoints: Endpoints) {
    this.fetch = fetch;
    this.endpoints = endpoints;
  }

  /** Creates an account (a retry with the same key answers the same account). */
  async register(username: string, password: string, key: string = newIdempotencyKey()): Promise<Account> {
    const body = await this.gateway(ACCOUNTS_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ username, password }),
    });
    return account(body);
  }

  /** Signs in: a new session. */
  async login(username: string, password: string): Promise<Session> {
    const body = await this.gateway(SESSIONS_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const { token, expires_at: expiresAt } = recordOrEmpty(body);
    if (!isToken(token)) throw new ApiError(null, 'The server sent no usable session.');
    return { token, username: account(recordOrEmpty(body).account).username, expiresAt: text(expiresAt) };
  }

  /** The session's account; an ApiError with status 401 once the session has ended. */
  async me(token: string): Promise<Account> {
    return account(recordOrEmpty(await this.gateway(`${ACCOUNTS_PATH}/me`, { method: 'GET', headers: bearer(token) })).account);
  }

  /** Ends the session (one that has already ended is fine). */
  async logout(token: string): Promise<void> {
    try {
      await this.gateway(`${SESSIONS_PATH}/current`, { method: 'DELETE', headers: bearer(token) });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
  }

  /** Gives this browser the stream service's session cookie, for `EventSource`. */
  async openStreamSession(token: string): Promise<void> {
    await callJson(
      this.fetch,
      streamUrl(this.endpoints, STREAM_SESSION_PATH),
      // The stream service is another origin: the cookie is kept only with credentials.
      { method: 'POST', headers: bearer(token), credentials: 'include' },
      accountFailure,
    );
  }

  /** Clears the stream service's session cookie. */
  async closeStreamSession(): Promise<void> {
    await callJson(
      this.fetch,
      streamUrl(this.endpoints, STREAM_SESSION_PATH),
      { method: 'DELETE', credentials: 'include' },
      accountFailure,
    );
  }

  private gateway(path: string, init: RequestInit): Promise<unknown> {
    return callJson(this.fetch, gatewayUrl(this.endpoints, path), init, accountFailure);
  }
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A failed account call in a sentence for people. */
export function accountFailure({ status, body, retryAfterS }: Failure): string {
  switch (status) {
    case 401:
      return serverSentence(body)?.match(/session/i) ? 'Your session has ended; sign in again.' : 'Wrong username or password.';
    case 409:
      return 'That username is taken; choose another, or sign in.';
    case 429:
      return tooManyAttempts(retryAfterS);
    case 502:
    case 503:
    case 504:
      return 'The accounts service is not answering; try again shortly.';
  }
  return serverSentence(body) ?? `The server answered ${status}.`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function account(value: unknown): Account {
  const { id, username } = recordOrEmpty(value);
  if (typeof username !== 'string' || username === '') throw new ApiError(null, 'The server sent no account.');
  return { id: text(id), username };
}
