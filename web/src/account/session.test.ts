// The session store: kept in sessionStorage, read back after a reload, dropped when ended or malformed.
import { describe, expect, it, vi } from 'vitest';
import { SESSION_KEY, SessionStore, isToken, parseSession, type Session } from './session';

/** A Storage in memory. */
function memoryStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    removeItem: (key: string) => void items.delete(key),
  };
}

const NOW = Date.parse('2026-12-06T12:00:00Z');
const ADA: Session = { token: 'tok_Ada-1', username: 'ada', expiresAt: '2027-01-05T12:00:00Z' };

describe('parseSession', () => {
  it('reads a stored session', () => {
    expect(parseSession(ADA, NOW)).toEqual(ADA);
    expect(parseSession({ ...ADA, expiresAt: undefined }, NOW)).toEqual({ ...ADA, expiresAt: '' });
  });

  it('drops one that has ended, or is not a session', () => {
    expect(parseSession({ ...ADA, expiresAt: '2026-12-06T11:59:59Z' }, NOW)).toBeNull();
    expect(parseSession({ ...ADA, token: 'a b' }, NOW)).toBeNull();
    expect(parseSession({ ...ADA, username: '' }, NOW)).toBeNull();
    expect(parseSession('tok', NOW)).toBeNull();
    expect(parseSession(null, NOW)).toBeNull();
  });

  it('checks a token’s shape, so nothing else reaches a header or a cookie', () => {
    expect(isToken('abc-_9')).toBe(true);
    expect(isToken('')).toBe(false);
    expect(isToken('a'.repeat(129))).toBe(false);
    expect(isToken('abc;Path=/')).toBe(false);
  });
});

describe('SessionStore', () => {
  it('keeps the session in storage and reads it back after a reload', () => {
    const storage = memoryStorage();
    const store = new SessionStore(storage, NOW);
    expect(store.getSnapshot()).toBeNull();
    store.set(ADA);
    expect(store.token()).toBe('tok_Ada-1');
    expect(JSON.parse(storage.items.get(SESSION_KEY) ?? 'null')).toEqual(ADA);
    expect(new SessionStore(storage, NOW).getSnapshot()).toEqual(ADA);
  });

  it('forgets it on sign-out, and tells its listeners', () => {
    const storage = memoryStorage({ [SESSION_KEY]: JSON.stringify(ADA) });
    const store = new SessionStore(storage, NOW);
    const listener = vi.fn();
    store.subscribe(listener);
    store.clear();
    expect(store.getSnapshot()).toBeNull();
    expect(store.token()).toBeNull();
    expect(storage.items.has(SESSION_KEY)).toBe(false);
    expect(listener).toHaveBeenCalledTimes(1);
    store.clear();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('ignores what it cannot read, and works in memory when storage refuses', () => {
    expect(new SessionStore(memoryStorage({ [SESSION_KEY]: '{not json' }), NOW).getSnapshot()).toBeNull();
    const refusing = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('denied');
      },
      removeItem: () => {
        throw new Error('denied');
      },
    };
    const store = new SessionStore(refusing, NOW);
    store.set(ADA);
    expect(store.getSnapshot()).toEqual(ADA);
    store.clear();
    expect(store.getSnapshot()).toBeNull();
    expect(new SessionStore(null, NOW).getSnapshot()).toBeNull();
  });
});
