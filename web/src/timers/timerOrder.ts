/**
 * The timers in the order the page shows them, kept up to date as they
 * change instead of sorted afresh: pending ones the soonest first, ended ones
 * the latest first; and the history kept bounded: beyond `MAX_ENDED` ended
 * timers the oldest are forgotten (pending ones never are), so a page left
 * open for weeks holds no more than it shows.
 */

import type { Timer } from './timerApi';
import { byLatestEnd, bySoonest, type TimersState } from './timerState';

/** Ended timers kept (and shown in the history); older ones are forgotten. */
export const MAX_ENDED = 100;

export interface TimerOrder {
  /** Pending timers, the soonest first. */
  readonly pending: readonly Timer[];
  /** Fired and cancelled timers, the latest first. */
  readonly ended: readonly Timer[];
}

export const emptyOrder: TimerOrder = { pending: [], ended: [] };

/** `list` with `item` where `compare` puts it (binary search; `list` is already in that order). */
export function insertSorted<T>(list: readonly T[], item: T, compare: (a: T, b: T) => number): T[] {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compare(list[mid]!, item) <= 0) low = mid + 1;
    else high = mid;
  }
  return [...list.slice(0, low), item, ...list.slice(low)];
}

/** `order` (of the timers in `prev`) brought up to date with `next`: only the timers that changed move. */
export function reorder(
  order: TimerOrder,
  prev: ReadonlyMap<string, Timer>,
  next: ReadonlyMap<string, Timer>,
): TimerOrder {
  if (prev === next) return order;
  const changed = new Set<string>();
  for (const [id, timer] of next) if (prev.get(id) !== timer) changed.add(id);
  for (const id of prev.keys()) if (!next.has(id)) changed.add(id);
  if (changed.size === 0) return order;
  let pending = order.pending.filter((timer) => !changed.has(timer.id));
  let ended = order.ended.filter((timer) => !changed.has(timer.id));
  for (const id of changed) {
    const timer = next.get(id);
    if (timer === undefined) continue;
    if (timer.state === 'pending') pending = insertSorted(pending, timer, bySoonest);
    else ended = insertSorted(ended, timer, byLatestEnd);
  }
  return { pending, ended };
}

/** `state` and `order` without the ended timers beyond the newest `keep`. */
export function pruneEnded(
  state: TimersState,
  order: TimerOrder,
  keep = MAX_ENDED,
): { readonly state: TimersState; readonly order: TimerOrder } {
  if (order.ended.length <= keep) return { state, order };
  const byId = new Map(state.byId);
  for (const timer of order.ended.slice(keep)) byId.delete(timer.id);
  return { state: { ...state, byId }, order: { ...order, ended: order.ended.slice(0, keep) } };
}
