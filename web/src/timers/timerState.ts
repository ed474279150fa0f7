/**
 * The page's timers, as they change: a pure reducer over what the server
 * says (stream events, list loads, call replies), in any order and any
 * number of times. A timer only moves forward — pending, then fired or
 * cancelled — so a stale list or a replayed event never brings back a
 * countdown that has ended.
 */

import type { Timer, TimerEvent } from './timerApi';

export interface TimersState {
  readonly byId: ReadonlyMap<string, Timer>;
  /** The list has been loaded once, so timers missing from `byId` are new to the page. */
  readonly loaded: boolean;
  /** The highest event sequence number seen. */
  readonly lastSeq: number;
}

export type TimersAction =
  | { readonly type: 'event'; readonly event: TimerEvent }
  | { readonly type: 'list'; readonly timers: readonly Timer[] }
  | { readonly type: 'timer'; readonly timer: Timer };

export const initialTimers: TimersState = { byId: new Map(), loaded: false, lastSeq: 0 };

/**
 * A timer that fired at most this long ago (by its end) and that the page
 * first hears of after loading is still news: set in another tab while the
 * stream was down, say. Older ones go to the history silently.
 */
export const RECENT_FIRE_MS = 60_000;

export function reduceTimers(state: TimersState, action: TimersAction): TimersState {
  switch (action.type) {
    case 'event': {
      const byId = merge(state.byId, [action.event.timer]);
      const lastSeq = Math.max(state.lastSeq, action.event.seq);
      return byId === state.byId && lastSeq === state.lastSeq ? state : { ...state, byId, lastSeq };
    }
    case 'list': {
      const byId = merge(state.byId, action.timers);
      return byId === state.byId && state.loaded ? state : { ...state, byId, loaded: true };
    }
    case 'timer': {
      const byId = merge(state.byId, [action.timer]);
      return byId === state.byId ? state : { ...state, byId };
    }
  }
}

/** The order pending timers are shown in: the soonest first. */
export const bySoonest = (a: Timer, b: Timer): number => a.firesAtMs - b.firesAtMs || a.id.localeCompare(b.id);

/** The order ended timers are shown in: the one that ended last first. */
export const byLatestEnd = (a: Timer, b: Timer): number => endOf(b) - endOf(a) || b.id.localeCompare(a.id);

/** Pending timers, the soonest first. */
export function pendingTimers(state: TimersState): Timer[] {
  return [...state.byId.values()].filter((timer) => timer.state === 'pending').sort(bySoonest);
}

/** Fired and cancelled timers, the one that ended last first. */
export function endedTimers(state: TimersState): Timer[] {
  return [...state.byId.values()].filter((timer) => timer.state !== 'pending').sort(byLatestEnd);
}

/**
 * The timers that fired between `prev` and `next`: pending before, or, once
 * the list was loaded, unknown before and fired within RECENT_FIRE_MS of `nowMs`.
 */
export function newlyFired(prev: TimersState, next: TimersState, nowMs: number): Timer[] {
  if (prev.byId === next.byId) return [];
  const fired: Timer[] = [];
  for (const timer of next.byId.values()) {
    if (timer.state !== 'fired') continue;
    const before = prev.byId.get(timer.id);
    const news =
      before === undefined ? prev.loaded && nowMs - endOf(timer) <= RECENT_FIRE_MS : before.state === 'pending';
    if (news) fired.push(timer);
  }
  return fired.sort((a, b) => endOf(a) - endOf(b));
}

/** When a timer ended (or is due to), server clock, unix ms. */
export function endOf(timer: Timer): number {
  return timer.endedAtMs ?? timer.firesAtMs;
}

/** `byId` with `timers` applied, or `byId` itself when none changes it. */
function merge(byId: ReadonlyMap<string, Timer>, timers: readonly Timer[]): ReadonlyMap<string, Timer> {
  let next: Map<string, Timer> | null = null;
  for (const timer of timers) {
    const current = (next ?? byId).get(timer.id);
    // An ended timer never goes back to pending; telling the same twice changes nothing.
    if (current !== undefined && ((isEnded(current) && !isEnded(timer)) || sameTimer(current, timer))) continue;
    next ??= new Map(byId);
    next.set(timer.id, timer);
  }
  return next ?? byId;
}

const isEnded = (timer: Timer) => timer.state !== 'pending';

function sameTimer(a: Timer, b: Timer): boolean {
  return (
    a.state === b.state &&
    a.label === b.label &&
    a.firesAtMs === b.firesAtMs &&
    a.endedAtMs === b.endedAtMs &&
    a.lateMs === b.lateMs &&
    a.hours === b.hours &&
    a.minutes === b.minutes &&
    a.seconds === b.seconds
  );
}

/** `action` with only the timers `keep` accepts; null when nothing of it is left. */
export function filterAction(action: TimersAction, keep: (timer: Timer) => boolean): TimersAction | null {
  switch (action.type) {
    case 'list':
      return { ...action, timers: action.timers.filter(keep) };
    case 'event':
      return keep(action.event.timer) ? action : null;
    case 'timer':
      return keep(action.timer) ? action : null;
  }
}
