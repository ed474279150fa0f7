// The timers reducer: events, lists and replies in any order, never moving a timer backwards.
import { describe, expect, it } from 'vitest';
import type { TimerEvent } from './timerApi';
import { timer } from './timerFixtures';
import {
  RECENT_FIRE_MS,
  endedTimers,
  initialTimers,
  newlyFired,
  pendingTimers,
  reduceTimers,
  type TimersAction,
  type TimersState,
} from './timerState';

const T = 1_795_000_000_000;

const event = (seq: number, kind: TimerEvent['kind'], t: TimerEvent['timer']): TimersAction => ({
  type: 'event',
  event: { seq, kind, timer: t },
});

const run = (actions: TimersAction[], from: TimersState = initialTimers) => actions.reduce(reduceTimers, from);

describe('reduceTimers', () => {
  it('applies set, then fired events, and remembers the last sequence number', () => {
    const state = run([
      event(1, 'set', timer('a', 'pending', T)),
      event(2, 'fired', timer('a', 'fired', T, { lateMs: 3 })),
    ]);
    expect(state.byId.get('a')).toMatchObject({ state: 'fired', lateMs: 3 });
    expect(state.lastSeq).toBe(2);
  });

  it('never brings an ended timer back to pending (a stale list, a replayed set event)', () => {
    const fired = run([event(5, 'fired', timer('a', 'fired', T))]);
    const afterList = reduceTimers(fired, { type: 'list', timers: [timer('a', 'pending', T)] });
    expect(afterList.byId.get('a')?.state).toBe('fired');
    const afterReplay = reduceTimers(afterList, event(1, 'set', timer('a', 'pending', T)));
    expect(afterReplay.byId.get('a')?.state).toBe('fired');
    expect(afterReplay.lastSeq).toBe(5);
  });

  it('returns the same state when nothing changed', () => {
    const state = run([event(1, 'set', timer('a', 'pending', T))]);
    expect(reduceTimers(state, event(1, 'set', timer('a', 'pending', T)))).toBe(state);
    expect(reduceTimers(state, { type: 'timer', timer: timer('a', 'pending', T) })).toBe(state);
    const loaded = reduceTimers(state, { type: 'list', timers: [] });
    expect(loaded).not.toBe(state);
    expect(loaded.loaded).toBe(true);
    expect(reduceTimers(loaded, { type: 'list', timers: [] })).toBe(loaded);
  });

  it('merges a list with what events already said', () => {
    const state = run([
      event(3, 'set', timer('new', 'pending', T + 5_000)),
      { type: 'list', timers: [timer('old', 'cancelled', T - 9_000), timer('mid', 'pending', T + 1_000)] },
    ]);
    expect([...state.byId.keys()].sort()).toEqual(['mid', 'new', 'old']);
    expect(state.loaded).toBe(true);
  });
});

describe('pendingTimers and endedTimers', () => {
  it('lists pending timers soonest first and ended ones latest first', () => {
    const state = run([
      {
        type: 'list',
        timers: [
          timer('later', 'pending', T + 60_000),
          timer('soon', 'pending', T + 1_000),
          timer('fired-early', 'fired', T - 60_000),
          timer('cancelled-late', 'cancelled', T + 90_000, { endedAtMs: T - 1_000 }),
          timer('fired-late', 'fired', T - 10_000, { endedAtMs: T - 9_000 }),
        ],
      },
    ]);
    expect(pendingTimers(state).map((t) => t.id)).toEqual(['soon', 'later']);
    expect(endedTimers(state).map((t) => t.id)).toEqual(['cancelled-late', 'fired-late', 'fired-early']);
  });
});

describe('newlyFired', () => {
  it('names a pending timer that fired', () => {
    const before = run([{ type: 'list', timers: [] }, event(1, 'set', timer('a', 'pending', T))]);
    const after = reduceTimers(before, event(2, 'fired', timer('a', 'fired', T)));
    expect(newlyFired(before, after, T).map((t) => t.id)).toEqual(['a']);
    // Told again (a replay, a list): no news.
    expect(newlyFired(after, reduceTimers(after, event(2, 'fired', timer('a', 'fired', T))), T)).toEqual([]);
  });

  it('ignores cancelled timers', () => {
    const before = run([event(1, 'set', timer('a', 'pending', T))]);
    const after = reduceTimers(before, event(2, 'cancelled', timer('a', 'cancelled', T)));
    expect(newlyFired(before, after, T)).toEqual([]);
  });

  it('keeps the history of the first list quiet', () => {
    const after = reduceTimers(initialTimers, { type: 'list', timers: [timer('old', 'fired', T - 1_000)] });
    expect(newlyFired(initialTimers, after, T)).toEqual([]);
  });

  it('once loaded, names an unknown timer that fired just now, but not one long ago', () => {
    const loaded = reduceTimers(initialTimers, { type: 'list', timers: [] });
    const after = reduceTimers(loaded, {
      type: 'list',
      timers: [timer('recent', 'fired', T - 2_000), timer('stale', 'fired', T - RECENT_FIRE_MS - 1)],
    });
    expect(newlyFired(loaded, after, T).map((t) => t.id)).toEqual(['recent']);
  });

  it('names a timer found fired by a list after the stream was away', () => {
    const before = run([{ type: 'list', timers: [timer('a', 'pending', T), timer('b', 'pending', T + 1)] }]);
    const after = reduceTimers(before, {
      type: 'list',
      timers: [timer('b', 'fired', T + 1), timer('a', 'fired', T)],
    });
    expect(newlyFired(before, after, T + 5).map((t) => t.id)).toEqual(['a', 'b']);
  });
});
