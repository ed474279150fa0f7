/**
 * The signed-in session: the bearer token `POST /api/sessions` gave, the
 * account's name and when the session ends. Kept in memory and in this tab's
 * `sessionStorage` (so a reload stays signed in, another tab or browser does
 * not share it, and closing the tab forgets it). Never put in a URL.
 * Observable (`shared/store.ts`) for React and for the timer store,
 * which shows the account's timers while there is a session.
 */

import { isRecord } from '../shared/json';
import { createStore, type Readable, type Store } from '../shared/store';

export interface Session {
  readonly token: string;
  readonly username: string;
  /** RFC 3339, as the gateway sent it ('' when unknown). */
  readonly expiresAt: string;
}

export const SESSION_KEY = 'clocker.session';

type Storage_ = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** A session token's shape (URL-safe base64, at most 128), as the stream service checks it. */
export function isToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(value);
}

/** A session from stored JSON, or null when it is not one or has ended by `nowMs`. */
export function parseSession(value: unknown, nowMs: number): Session | null {
  if (!isRecord(value)) return null;
  const { token, username, expiresAt } = value;
  if (!isToken(token) || typeof username !== 'string' || username === '') return null;
  const expires = typeof expiresAt === 'string' ? expiresAt : '';
  const endsMs = Date.parse(expires);
  if (!Number.isNaN(endsMs) && endsMs <= nowMs) return null;
  return { token, username, expiresAt: expires };
}

export class SessionStore implements Readable<Session | null> {
  private readonly storage: Storage_ | null;
  private readonly store: Store<Session | null>;

  /** `storage`: sessionStorage, or null where the browser refuses it (then memory alone). */
  constructor(storage: Storage_ | null, nowMs: number = Date.now()) {
    this.storage = storage;
    this.store = createStore(read(storage, nowMs));
  }

  readonly getSnapshot = (): Session | null => this.store.getSnapshot();
  readonly subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  /** The bearer token, or null when signed out. */
  readonly token = (): string | null => this.getSnapshot()?.token ?? null;

  /** Signed in as `session` (replacing any other). */
  set(session: Session): void {
    try {
      this.storage?.setItem(SESSION_KEY, JSON.stringify(session));
    } catch {
      // Private mode or full: this page still remembers it until reloaded.
    }
    this.store.set(session);
  }

  /** Signed out. */
  clear(): void {
    if (this.getSnapshot() === null) return;
    try {
      this.storage?.removeItem(SESSION_KEY);
    } catch {
      // Nothing was kept, then.
    }
    this.store.set(null);
  }
}

function read(storage: Storage_ | null, nowMs: number): Session | null {
  try {
    const text = storage?.getItem(SESSION_KEY);
    return text ? parseSession(JSON.parse(text), nowMs) : null;
  } catch {
    return null;
  }
}
