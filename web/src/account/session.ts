/**
 * The signed-in session: the bearer token `POST /api/sessions` gave, the
 * account's name and when the session ends. Kept in memory and in this tab's
 * `sessionStorage` (so a reload stays signed in, another tab or browser does
 * not share it, and closing the tab forgets it). Never put in a URL.
 * Observable for React (`useSyncExternalStore`) and for the timer store,
 * which shows the account's timers while there is a session.
 */

import { isRecord } from '../shared/json';

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

export class SessionStore {
  private readonly storage: Storage_ | null;
  private readonly listeners = new Set<() => void>();
  private session: Session | null;

  /** `storage`: sessionStorage, or null where the browser refuses it (then memory alone). */
  constructor(storage: Storage_ | null, nowMs: number = Date.now()) {
    this.storage = storage;
    this.session = read(storage, nowMs);
  }

  /** For useSyncExternalStore. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): Session | null => this.session;

  /** The bearer token, or null when signed out. */
  readonly token = (): string | null => this.session?.token ?? null;

  /** Signed in as `session` (replacing any other). */
  set(session: Session): void {
    this.session = session;
    try {
      this.storage?.setItem(SESSION_KEY, JSON.stringify(session));
    } catch {
      // Private mode or full: this page still remembers it until reloaded.
    }
    this.publish();
  }

  /** Signed out. */
  clear(): void {
    if (this.session === null) return;
    this.session = null;
    try {
      this.storage?.removeItem(SESSION_KEY);
    } catch {
      // Nothing was kept, then.
    }
    this.publish();
  }

  private publish(): void {
    for (const listener of this.listeners) listener();
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
