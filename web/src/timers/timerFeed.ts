/**
 * The timer events the Timers page follows, from the stream service's
 * `/stream/timers` (Server-Sent Events): signed out, the anonymous timers
 * this browser set (`?ids=`, resuming after the last event seen); signed in,
 * the account's (the session cookie `openStreamSession` sets first, since
 * `EventSource` cannot send the token). A stream the browser gave up on is
 * replaced with backoff. The store (`timerStore.ts`) hears the events, the
 * stream's state, and when to load the list again (opened, or old events
 * dropped by retention).
 */

import { Backoff } from '../shared/backoff';
import type { EventStream, OpenEvents } from '../shared/eventStream';
import { isDropped, parseTimerEvent, type TimerEvent } from './timerApi';
import { eventsUrlFor, type TimerIds } from './timerIds';

export type StreamState = 'idle' | 'connecting' | 'live' | 'reconnecting';

export interface TimerFeedDeps {
  readonly openEvents: OpenEvents;
  /** Opens the account's stream, sending the session cookie (default: `openEvents`). */
  readonly openAccountEvents?: OpenEvents;
  /** Sets the stream service's session cookie for `token`, before the account's stream is opened. */
  readonly openStreamSession?: (token: string) => Promise<void>;
  /** Where the timer events are (`timerEventsUrl`). */
  readonly eventsUrl: string;
  /** The anonymous timers to follow; without, the stream's own choice (no `?ids=`). */
  readonly ids?: TimerIds;
  readonly random?: () => number;
}

export interface TimerFeedHandlers {
  onState(state: StreamState): void;
  onEvent(event: TimerEvent): void;
  /** The list should be loaded again: the stream (re)opened, or events were dropped. */
  onResync(): void;
}

type Timeout = ReturnType<typeof setTimeout>;

export class TimerFeed {
  private readonly deps: TimerFeedDeps;
  private readonly handlers: TimerFeedHandlers;
  private readonly backoff: Backoff;
  private running = false;
  private stream: EventStream | null = null;
  private state: StreamState = 'idle';
  private retryTimer: Timeout | undefined;
  /** The last event number seen, to resume from when the stream is reopened. */
  private lastSeq: number | null = null;
  /** The signed-in session's token; null: anonymous. */
  private token: string | null = null;
  /** Counts `follow` calls, so a cookie set for an earlier session opens nothing. */
  private generation = 0;

  constructor(deps: TimerFeedDeps, handlers: TimerFeedHandlers) {
    this.deps = deps;
    this.handlers = handlers;
    this.backoff = new Backoff(deps.random ? { random: deps.random } : {});
  }

  start(): void {
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.drop();
    this.setState('idle');
  }

  /** Follows `token`'s timers (null: this browser's anonymous ones), from scratch. */
  follow(token: string | null): void {
    this.token = token;
    this.generation += 1;
    clearTimeout(this.retryTimer);
    this.drop();
    this.lastSeq = null;
    this.backoff.reset();
    this.setState('idle');
    this.connect();
  }

  /** Opens the stream again (the anonymous ids changed: a timer was set). */
  reopen(): void {
    if (!this.running) return;
    this.drop();
    this.connect();
  }

  private connect(): void {
    if (!this.running) return;
    if (this.token !== null) {
      void this.connectAccount(this.token, this.generation);
      return;
    }
    let url = this.deps.eventsUrl;
    if (this.deps.ids) {
      const ids = this.deps.ids.list();
      if (ids.length === 0) return; // nothing to follow yet
      url = eventsUrlFor(url, ids, this.lastSeq);
    }
    this.open(url, this.deps.openEvents);
  }

  /** The account's stream: the session cookie first, then the stream. */
  private async connectAccount(token: string, generation: number): Promise<void> {
    if (this.state === 'idle') this.setState('connecting');
    try {
      await this.deps.openStreamSession?.(token);
    } catch {
      if (generation === this.generation) this.retryLater();
      return;
    }
    if (generation === this.generation && this.running && this.stream === null) {
      this.open(this.deps.eventsUrl, this.deps.openAccountEvents ?? this.deps.openEvents);
    }
  }

  private open(url: string, openEvents: OpenEvents): void {
    const first = this.state === 'idle' || this.state === 'connecting';
    this.setState(first ? 'connecting' : 'reconnecting');
    const stream = openEvents(url, {
      onOpen: () => this.stream === stream && this.onOpen(),
      onEvent: (data) => this.stream === stream && this.onEvent(data),
      onError: (closed) => this.stream === stream && this.onError(closed),
    });
    this.stream = stream;
  }

  private onOpen(): void {
    this.backoff.reset();
    this.setState('live');
    // Whatever happened while the stream was away (or before it opened).
    this.handlers.onResync();
  }

  private onEvent(data: string): void {
    const event = parseTimerEvent(data);
    if (event !== null) {
      this.lastSeq = Math.max(this.lastSeq ?? 0, event.seq);
      this.handlers.onEvent(event);
    } else if (isDropped(data)) {
      // Old events were deleted (retention): what they said, the timers now say.
      this.handlers.onResync();
    }
  }

  private onError(closed: boolean): void {
    this.setState('reconnecting');
    if (!closed) return; // the browser reconnects, sending Last-Event-ID
    // Refused for good (e.g. 503 while the timer service is down): a new stream, later.
    this.drop();
    this.retryLater();
  }

  private retryLater(): void {
    this.setState('reconnecting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), this.backoff.next().delayMs);
  }

  private drop(): void {
    const stream = this.stream;
    this.stream = null;
    stream?.close();
  }

  private setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.handlers.onState(state);
  }
}
