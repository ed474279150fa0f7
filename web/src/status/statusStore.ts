/**
 * The Status page's poll of the funnel's `/status.json`: once when the page
 * is shown, then a second after each answer (so polls never overlap), none
 * while the tab is hidden (at once when it is back), none once another page
 * is shown; a poll that takes too long is abandoned and counts as failed.
 * Publishes a snapshot (`shared/store.ts`); `start`/`stop` as the page is shown and left. `fetch`, the
 * timer, the clock and the tab's visibility are injected, so tests use
 * fakes; the decisions live in the pure `status`.
 */

import {
  STATUS_PATH,
  TOO_SLOW,
  UNREACHABLE,
  highlighted,
  initialStatus,
  readAnswer,
  reduceStatus,
  type PollResult,
  type ServiceRow,
  type StatusAction,
  type StatusPhase,
  type StatusState,
} from './status';
import { createStore, sameItems, type Readable, type Store } from '../shared/store';

/** The time between an answer and the next poll. */
export const POLL_MS = 1_000;
/** A poll not answered in this long is abandoned. */
export const POLL_TIMEOUT_MS = 5_000;

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** Runs `run` after `ms`; the function returned cancels it. */
export type Schedule = (run: () => void, ms: number) => () => void;

/** Whether the tab is hidden, and word when that changes. */
export interface Visibility {
  hidden(): boolean;
  /** Calls `listener` on every change; the function returned stops that. */
  onChange(listener: () => void): () => void;
}

export interface StatusStoreDeps {
  readonly fetch: Fetch;
  /** `/status.json` unless told otherwise. */
  readonly url?: string;
  readonly schedule: Schedule;
  /** Now, unix ms (for how long a restarted row stays highlighted). */
  readonly now: () => number;
  readonly visibility: Visibility;
}

export interface StatusSnapshot {
  readonly phase: StatusPhase;
  readonly services: readonly ServiceRow[];
  /** Why the last poll failed (the rows are then the last known); null when it did not. */
  readonly problem: string | null;
  /** The services whose restart count just went up, in table order. */
  readonly restarted: readonly string[];
  readonly updatedAtMs: number | null;
}

export class StatusStore implements Readable<StatusSnapshot> {
  private readonly deps: StatusStoreDeps;
  private readonly url: string;
  private readonly store: Store<StatusSnapshot>;

  private state: StatusState = initialStatus;
  private started = false;
  private stopWatching: (() => void) | null = null;
  /** The next poll, when one is waiting. */
  private cancelNext: (() => void) | null = null;
  /** The poll under way, if any. */
  private inFlight: { readonly abort: AbortController; readonly cancelTimeout: () => void } | null = null;
  /** Bumped whenever polling stops, so a late answer is ignored. */
  private generation = 0;

  constructor(deps: StatusStoreDeps) {
    this.deps = deps;
    this.url = deps.url ?? STATUS_PATH;
    this.store = createStore(this.buildSnapshot(undefined));
  }

  /** The page is shown: polls now (unless the tab is hidden) and every second after. */
  readonly start = (): void => {
    if (this.started) return;
    this.started = true;
    this.stopWatching = this.deps.visibility.onChange(this.onVisibility);
    this.poll();
  };

  /** The page is left: no more polls (one under way is abandoned). */
  readonly stop = (): void => {
    if (!this.started) return;
    this.started = false;
    this.stopWatching?.();
    this.stopWatching = null;
    this.halt();
  };

  readonly getSnapshot = (): StatusSnapshot => this.store.getSnapshot();
  readonly subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  // --- polling --------------------------------------------------------------

  private readonly onVisibility = (): void => {
    if (this.deps.visibility.hidden()) this.halt();
    else this.poll();
  };

  /** Polls now, unless one is under way or polling is off. */
  private poll(): void {
    if (!this.started || this.deps.visibility.hidden() || this.inFlight !== null) return;
    this.cancelNext?.();
    this.cancelNext = null;
    const generation = this.generation;
    const abort = new AbortController();
    let timedOut = false;
    const cancelTimeout = this.deps.schedule(() => {
      timedOut = true;
      abort.abort();
    }, POLL_TIMEOUT_MS);
    this.inFlight = { abort, cancelTimeout };
    void this.ask(abort.signal).then((result) => {
      if (generation !== this.generation) return; // stopped meanwhile
      cancelTimeout();
      this.inFlight = null;
      const atMs = this.deps.now();
      const action: StatusAction = result.ok
        ? { type: 'answer', report: result.report, atMs }
        : { type: 'failure', problem: timedOut ? TOO_SLOW : result.problem, atMs };
      this.apply(action);
      this.cancelNext = this.deps.schedule(() => {
        this.cancelNext = null;
        this.poll();
      }, POLL_MS);
    });
  }

  /** One `GET /status.json`, never throwing. */
  private async ask(signal: AbortSignal): Promise<PollResult> {
    let response: Response;
    try {
      response = await this.deps.fetch(this.url, {
        headers: { accept: 'application/json' },
        cache: 'no-store',
        signal,
      });
    } catch {
      return { ok: false, problem: UNREACHABLE };
    }
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      if (signal.aborted) return { ok: false, problem: UNREACHABLE };
      // Not JSON: the status says enough.
    }
    return readAnswer(response.status, body);
  }

  /** Stops polling: the next poll is cancelled and one under way abandoned. */
  private halt(): void {
    this.generation += 1;
    this.cancelNext?.();
    this.cancelNext = null;
    const inFlight = this.inFlight;
    this.inFlight = null;
    if (inFlight !== null) {
      inFlight.cancelTimeout();
      inFlight.abort.abort();
    }
  }

  // --- state and snapshot ---------------------------------------------------

  private apply(action: StatusAction): void {
    const prev = this.state;
    this.state = reduceStatus(prev, action);
    this.publish();
  }

  private buildSnapshot(prev: StatusSnapshot | undefined): StatusSnapshot {
    const restarted = highlighted(this.state, this.deps.now());
    return {
      phase: this.state.phase,
      services: this.state.services,
      problem: this.state.problem,
      restarted: prev !== undefined && sameItems(prev.restarted, restarted) ? prev.restarted : restarted,
      updatedAtMs: this.state.updatedAtMs,
    };
  }

  /** Publishes a new snapshot if anything in it changed. */
  private publish(): void {
    const prev = this.getSnapshot();
    const next = this.buildSnapshot(prev);
    if (
      prev.phase === next.phase &&
      prev.services === next.services &&
      prev.problem === next.problem &&
      prev.restarted === next.restarted &&
      prev.updatedAtMs === next.updatedAtMs
    ) {
      return;
    }
    this.store.set(next);
  }
}


/** The browser's timer as a Schedule. */
export const browserSchedule: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  return () => clearTimeout(timer);
};

/** The document's visibility. */
export const documentVisibility: Visibility = {
  hidden: () => document.visibilityState === 'hidden',
  onChange: (listener) => {
    document.addEventListener('visibilitychange', listener);
    return () => document.removeEventListener('visibilitychange', listener);
  },
};
