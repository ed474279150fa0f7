/**
 * The Timers page's link to the timer service: the events (`timerFeed.ts`:
 * the stream service's `/stream/timers`, kept open), the list loaded again
 * on every (re)connection so nothing missed while away is lost (retried with
 * backoff when that fails), and the calls that set and cancel timers.
 * Publishes a snapshot (`shared/store.ts`) and raises an alert for each timer
 * that fires. Started once when the page boots, so alerts work on every page;
 * until the page knows where the stream service is (`configure`), it says
 * "connecting". The history is bounded (`timerOrder.ts`: the newest 100
 * ended timers) and kept in order as timers change, never sorted afresh. Everything is injected, so tests use
 * fakes; the decisions live in the pure `timerState`.
 *
 * Signed out, with `ids` (the timers this browser set, `timerIds.ts`) the
 * "list" is those timers, read one by one; signed in (`setSession`), the
 * account's (`GET /api/timers` with its token). Whoever is shown, a timer
 * that is not theirs is never kept (`belongs`), and switching session
 * forgets everything the previous one saw, alerts included.
 */

import { TimerFeed, type StreamState, type TimerFeedDeps } from './timerFeed';
import { TimerApiError, type NewTimer, type Timer, type TimerApi } from './timerApi';
import type { TimerIds } from './timerIds';
import { createStore, type Readable, type Store } from '../shared/store';
import { emptyOrder, pruneEnded, reorder, type TimerOrder } from './timerOrder';
import { filterAction, initialTimers, newlyFired, reduceTimers, type TimersAction, type TimersState } from './timerState';

export interface TimerStoreDeps extends TimerFeedDeps {
  readonly api: Pick<TimerApi, 'list' | 'get' | 'create' | 'cancel'>;
  /** The server's clock now, by the page's best estimate, unix ms. */
  readonly now: () => number;
  /** Called once for each timer the page sees fire (a notification, a beep). */
  readonly onFired?: (timer: Timer) => void;
  /** The timers this page follows (anonymous timers are reached only by id); without, the API's list. */
  readonly ids?: TimerIds;
}

export type { StreamState } from './timerFeed';

export interface TimersSnapshot {
  readonly timers: TimersState;
  /** Pending timers, the soonest first. */
  readonly pending: readonly Timer[];
  /** Fired and cancelled timers, the latest first (the newest MAX_ENDED). */
  readonly ended: readonly Timer[];
  readonly stream: StreamState;
  /** Why the timers could not be loaded, until they can. */
  readonly problem: string | null;
  /** Timers that fired while the page watched, not yet dismissed, oldest first. */
  readonly alerts: readonly Timer[];
  /** Whether the timers shown are a signed-in account's (else this browser's anonymous ones). */
  readonly signedIn: boolean;
}

/** A pending timer this far past due is asked about directly (its event may be lost). */
export const OVERDUE_MS = 3_000;
/** How often overdue timers are looked for, and the least time between two asks about one. */
export const OVERDUE_CHECK_MS = 1_000;
const OVERDUE_ASK_GAP_MS = 5_000;
/** The list is loaded this long after start even if the stream has not opened by then. */
export const LIST_ANYWAY_MS = 2_000;
/** A list that failed to load is tried again after this long, doubling to LIST_RETRY_CAP_MS. */
export const LIST_RETRY_MS = 1_000;
const LIST_RETRY_CAP_MS = 10_000;
/** Alerts beyond this many push out the oldest. */
export const MAX_ALERTS = 5;

type Timeout = ReturnType<typeof setTimeout>;

export class TimerStore implements Readable<TimersSnapshot> {
  private readonly deps: TimerStoreDeps;
  private readonly feed: TimerFeed;
  private readonly store: Store<TimersSnapshot>;

  private started = false;
  private streamState: StreamState = 'idle';
  private problem: string | null = null;
  private state: TimersState = initialTimers;
  private order: TimerOrder = emptyOrder;
  private alerts: readonly Timer[] = [];
  /** The next list load: the one after start, or a retry. */
  private listTimer: Timeout | undefined;
  private listFailures = 0;
  private overdueTimer: ReturnType<typeof setInterval> | undefined;
  /** When each overdue timer was last asked about. */
  private readonly askedAt = new Map<string, number>();
  /** The signed-in session's token; null: anonymous. */
  private token: string | null = null;
  /** Counts session switches, so an answer for the previous one is dropped. */
  private generation = 0;

  constructor(deps: TimerStoreDeps) {
    this.deps = deps;
    this.feed = new TimerFeed(deps, {
      onState: (state) => this.setStream(state),
      onEvent: (event) => this.apply({ type: 'event', event }),
      onResync: () => void this.loadList(),
    });
    this.store = createStore(this.buildSnapshot());
  }

  /** Opens the stream (once; later calls do nothing). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.overdueTimer = setInterval(() => this.checkOverdue(), OVERDUE_CHECK_MS);
    this.feed.start();
    // The list is loaded once the stream is open (so nothing falls between the two), or
    // after a while regardless: a proxy may hold the stream's headers back until its first event.
    this.listTimer = setTimeout(() => void this.loadList(), LIST_ANYWAY_MS);
  }

  stop(): void {
    this.started = false;
    clearTimeout(this.listTimer);
    clearInterval(this.overdueTimer);
    this.feed.stop();
  }

  readonly getSnapshot = (): TimersSnapshot => this.store.getSnapshot();
  readonly subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  /** Where the timer events are, once the page knows (`/config.json`). */
  configure(eventsUrl: string): void {
    this.feed.configure(eventsUrl);
  }

  /** Sets a timer; throws a TimerApiError saying why it could not. */
  async set(request: NewTimer): Promise<Timer> {
    const generation = this.generation;
    const timer = await this.deps.api.create(request);
    if (generation !== this.generation) return timer; // signed in or out meanwhile
    if (this.deps.ids && !timer.owned) {
      // Follow it too: a stream names the timers it follows.
      this.deps.ids.add(timer.id);
      this.feed.reopen();
    }
    this.apply({ type: 'timer', timer });
    return timer;
  }

  /**
   * Shows `token`'s timers (null: this browser's anonymous ones). A new
   * session starts from nothing: the previous one's timers, alerts and
   * stream are dropped at once.
   */
  setSession(token: string | null): void {
    if (token === this.token) return;
    this.token = token;
    this.generation += 1;
    clearTimeout(this.listTimer);
    this.state = initialTimers;
    this.order = emptyOrder;
    this.alerts = [];
    this.problem = null;
    this.listFailures = 0;
    this.askedAt.clear();
    this.feed.follow(token);
    this.publish();
    if (!this.started) return;
    this.listTimer = setTimeout(() => void this.loadList(), LIST_ANYWAY_MS);
  }

  /** Cancels a timer; throws a TimerApiError saying why it could not. */
  async cancel(id: string): Promise<Timer> {
    const generation = this.generation;
    const timer = await this.deps.api.cancel(id);
    if (generation === this.generation) this.apply({ type: 'timer', timer });
    return timer;
  }

  /** Takes the alert of timer `id` away. */
  readonly dismiss = (id: string): void => {
    const alerts = this.alerts.filter((timer) => timer.id !== id);
    if (alerts.length === this.alerts.length) return;
    this.alerts = alerts;
    this.publish();
  };

  // --- the list -------------------------------------------------------------

  private async loadList(): Promise<void> {
    clearTimeout(this.listTimer);
    const generation = this.generation;
    try {
      const timers =
        this.token === null && this.deps.ids ? await this.loadOwn(this.deps.ids) : await this.deps.api.list();
      if (generation !== this.generation) return;
      this.listFailures = 0;
      this.problem = null;
      this.apply({ type: 'list', timers });
    } catch (error) {
      if (!this.started || generation !== this.generation) return;
      this.problem = error instanceof Error ? error.message : String(error);
      this.publish();
      // Until a reconnection loads it, or this retry does.
      const delay = Math.min(LIST_RETRY_CAP_MS, LIST_RETRY_MS * 2 ** this.listFailures);
      this.listFailures += 1;
      clearTimeout(this.listTimer);
      this.listTimer = setTimeout(() => void this.loadList(), delay);
    }
  }

  /** The timers `ids` names, one by one; those the server no longer has are forgotten. */
  private async loadOwn(ids: TimerIds): Promise<Timer[]> {
    const wanted = ids.list();
    const results = await Promise.allSettled(wanted.map((id) => this.deps.api.get(id)));
    const gone = wanted.filter((_, n) => {
      const result = results[n];
      return result?.status === 'rejected' && result.reason instanceof TimerApiError && result.reason.status === 404;
    });
    if (gone.length > 0) ids.forget(gone);
    const failed = results.find(
      (result, n): result is PromiseRejectedResult => result.status === 'rejected' && !gone.includes(wanted[n] ?? ''),
    );
    if (failed) throw failed.reason;
    return results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  }

  /** Asks about pending timers well past due, whose fired event may have been missed. */
  private checkOverdue(): void {
    const now = this.deps.now();
    for (const timer of this.order.pending) {
      if (now - timer.firesAtMs < OVERDUE_MS) break; // soonest first: the rest are not due
      if (now - (this.askedAt.get(timer.id) ?? Number.NEGATIVE_INFINITY) < OVERDUE_ASK_GAP_MS) continue;
      this.askedAt.set(timer.id, now);
      const generation = this.generation;
      this.deps.api.get(timer.id).then(
        (latest) => generation === this.generation && this.apply({ type: 'timer', timer: latest }),
        () => {}, // the stream or the next check will tell
      );
    }
  }

  // --- state and snapshot ---------------------------------------------------

  /** Whether `timer` is the viewer's: the account's when signed in, else one this browser set anonymously. */
  private belongs(timer: Timer): boolean {
    if (this.token !== null) return timer.owned;
    if (!this.deps.ids) return true;
    return !timer.owned && this.deps.ids.list().includes(timer.id);
  }

  private apply(action: TimersAction): void {
    // Never a stranger's timer: not from a list, an event or an answer.
    const mine = filterAction(action, (timer) => this.belongs(timer));
    if (mine === null) return;
    const prev = this.state;
    const reduced = reduceTimers(prev, mine);
    ({ state: this.state, order: this.order } = pruneEnded(reduced, reorder(this.order, prev.byId, reduced.byId)));
    const fired = newlyFired(prev, reduced, this.deps.now());
    if (fired.length > 0) {
      const ids = new Set(fired.map((timer) => timer.id));
      this.alerts = [...this.alerts.filter((timer) => !ids.has(timer.id)), ...fired].slice(-MAX_ALERTS);
      for (const timer of fired) this.askedAt.delete(timer.id);
    }
    this.publish();
    for (const timer of fired) this.deps.onFired?.(timer);
  }

  private setStream(state: StreamState): void {
    if (state === this.streamState) return;
    this.streamState = state;
    this.publish();
  }

  private buildSnapshot(): TimersSnapshot {
    return {
      timers: this.state,
      pending: this.order.pending,
      ended: this.order.ended,
      stream: this.streamState,
      problem: this.problem,
      alerts: this.alerts,
      signedIn: this.token !== null,
    };
  }

  /** Publishes a new snapshot if anything in it changed. */
  private publish(): void {
    const prev = this.getSnapshot();
    if (
      prev.timers === this.state &&
      prev.stream === this.streamState &&
      prev.problem === this.problem &&
      prev.alerts === this.alerts &&
      prev.signedIn === (this.token !== null)
    ) {
      return;
    }
    this.store.set(this.buildSnapshot());
  }
}
