import { describe, expect, it } from 'vitest';
import { LruCache } from './lru';

describe('LruCache', () => {
  it('never holds more than its capacity, forgetting the oldest first', () => {
    const cache = new LruCache<string, number>(3);
    for (let n = 0; n < 1_000; n += 1) cache.set(`typed ${n}`, n);
    expect(cache.size).toBe(3);
    expect(cache.get('typed 0')).toBeUndefined();
    expect(cache.get('typed 999')).toBe(999);
  });

  it('keeps what was used recently', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.has('a')).toBe(true);
    expect(cache.has('b')).toBe(false);
  });

  it('keeps a cached null or undefined apart from a miss', () => {
    const cache = new LruCache<string, string | null>(2);
    cache.set('unknown', null);
    expect(cache.has('unknown')).toBe(true);
    expect(cache.get('unknown')).toBeNull();
  });
});
