// The timers' order kept up to date without sorting afresh, and the history kept to MAX_ENDED.
import { describe, expect, it } from 'vitest';
import type { Timer } from './timerApi';
import { timer } from './timerFixtures';
import { MAX_ENDED, emptyOrder, insertSorted, pruneEnded, reorder, type TimerOrder } from './timerOrder';
import { endedTimers, initialTimers, pendingTimers, reduceTimers, type TimersState } from './timerState';

const T = 1_795_000_000_000;
const ids = (timers: readonly Timer[]) => timers.map((t) => t.id);

/** Applies `timers` to `state` and `order` as the store does. */
function step(state: TimersState, order: TimerOrder, timers: Timer[]) {
  const next = reduceTimers(state, { type: 'list', timers });
  return { state: next, order: reorder(order, state.byId, next.byId) };
}

describe('insertSorted', () => {
  it('puts an item in its place, after equals', () => {
    const byNumber = (a: number, b: number) => a - b;
    expect(insertSorted([1, 3, 5], 4, byNumber)).toEqual([1, 3, 4, 5]);
    expect(insertSorted([], 4, byNumber)).toEqual([4]);
    expect(insertSorted([1, 3], 0, byNumber)).toEqual([0, 1, 3]);
    expect(insertSorted([1, 3], 9, byNumber)).toEqual([1, 3, 9]);
  });
});

describe('reorder', () => {
  it('keeps the same order a full sort gives, as timers arrive and end', () => {
    let state = initialTimers;
    let order = emptyOrder;
    ({ state, order } = step(state, order, [timer('b', 'pending', T + 2_000), timer('a', 'pending', T + 1_000)]));
    ({ state, order } = step(state, order, [timer('c', 'pending', T + 1_500), timer('x', 'fired', T - 5_000)]));
    ({ state, order } = step(state, order, [timer('a', 'fired', T + 1_000), timer('b', 'cancelled', T + 2_000, { endedAtMs: T })]));
    expect(ids(order.pending)).toEqual(ids(pendingTimers(state)));
    expect(ids(order.ended)).toEqual(ids(endedTimers(state)));
    expect(ids(order.pending)).toEqual(['c']);
    expect(ids(order.ended)).toEqual(['a', 'b', 'x']);
  });

  it('answers the same order when nothing changed', () => {
    const { state, order } = step(initialTimers, emptyOrder, [timer('a', 'pending', T)]);
    const again = reduceTimers(state, { type: 'list', timers: [timer('a', 'pending', T)] });
    expect(reorder(order, state.byId, again.byId)).toBe(order);
  });
});

describe('pruneEnded', () => {
  it('keeps every pending timer and only the newest MAX_ENDED ended ones', () => {
    const ended = Array.from({ length: MAX_ENDED + 20 }, (_, n) => timer(`e${n}`, 'fired', T + n));
    const pending = Array.from({ length: 150 }, (_, n) => timer(`p${n}`, 'pending', T + 60_000 + n));
    const stepped = step(initialTimers, emptyOrder, [...ended, ...pending]);
    const { state, order } = pruneEnded(stepped.state, stepped.order);
    expect(order.ended).toHaveLength(MAX_ENDED);
    expect(order.pending).toHaveLength(150);
    expect(state.byId.size).toBe(MAX_ENDED + 150);
    expect(order.ended[0]!.id).toBe(`e${MAX_ENDED + 19}`);
    expect(state.byId.has('e0')).toBe(false);
    expect(state.byId.has(`e${MAX_ENDED + 19}`)).toBe(true);
  });

  it('changes nothing within the bound', () => {
    const stepped = step(initialTimers, emptyOrder, [timer('a', 'fired', T)]);
    const pruned = pruneEnded(stepped.state, stepped.order);
    expect(pruned.state).toBe(stepped.state);
    expect(pruned.order).toBe(stepped.order);
  });
});
