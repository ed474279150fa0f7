import { describe, expect, it } from 'vitest';

import { eventsUrlFor, MAX_TIMER_IDS, storedTimerIds } from './timerIds';

function fakeStorage(initial: Record<string, string> = {}) {
  const items = new Map(Object.entries(initial));
  return {
    items,
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
  };
}

describe('storedTimerIds', () => {
  it('keeps the ids this browser set, across pages, oldest first, each once', () => {
    const storage = fakeStorage();
    const ids = storedTimerIds(storage);
    ids.add('a');
    ids.add('b');
    ids.add('a');
    expect(ids.list()).toEqual(['b', 'a']);
    expect(storedTimerIds(storage).list()).toEqual(['b', 'a']);
    ids.forget(['b']);
    expect(storedTimerIds(storage).list()).toEqual(['a']);
  });

  it(`keeps at most ${MAX_TIMER_IDS}, dropping the oldest`, () => {
    const ids = storedTimerIds(fakeStorage());
    for (let n = 0; n < MAX_TIMER_IDS + 5; n += 1) ids.add(`t${n}`);
    expect(ids.list()).toHaveLength(MAX_TIMER_IDS);
    expect(ids.list()[0]).toBe('t5');
  });

  it('ignores what it did not write, and works without storage', () => {
    expect(storedTimerIds(fakeStorage({ 'clocker.timerIds': '{"not":"a list"}' })).list()).toEqual([]);
    expect(storedTimerIds(fakeStorage({ 'clocker.timerIds': '[1,"ok",""]' })).list()).toEqual(['ok']);
    const memory = storedTimerIds(null);
    memory.add('x');
    expect(memory.list()).toEqual(['x']);
  });
});

describe('eventsUrlFor', () => {
  it('names the ids, and where to resume', () => {
    expect(eventsUrlFor('http://127.0.0.1:8085/stream/timers', ['a', 'b'], null)).toBe(
      'http://127.0.0.1:8085/stream/timers?ids=a%2Cb',
    );
    expect(eventsUrlFor('/stream/timers', ['a'], 42)).toBe('/stream/timers?ids=a&last_event_id=42');
  });
});
