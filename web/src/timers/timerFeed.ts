/**
 * The timer events the Timers page follows, from the stream service's
 * `/stream/timers` (Server-Sent Events): signed out, the anonymous timers
 * this browser set (`?ids=`, resuming after the last event seen); signed in,
 * the account's (the session cookie `openStreamSession` sets first, since
 * `EventSource` cannot send the token). A stream the browser gave up on is
 * replaced with backoff (`reconnectingEvents.ts`). Until the page knows where
 * the stream service is (`configure`), the feed says "connecting". The store (`timerStore.ts`) hears the events, the
 * stream's state, and when to load the list again (opened, or old events
 * dropped by retention).
 */

import type { OpenEvents } from '../shared/eventStream';
import { ReconnectingEvents } from '../shared/reconnectingEvents';
import { isDropped, parseTimerEvent, type TimerEvent } from './timerApi';
import { eventsUrlFor, type TimerIds } from './timerIds';

export type StreamState = 'idle' | 'connecting' | 'live' | 'reconnecting';

export interface TimerFeedDeps {
  readonly openEvents: OpenEvents;
  /** Opens the account's stream, sending the session cookie (default: `openEvents`). */
  readonly openAccountEvents?: OpenEvents;
  /** Sets the stream service's session cookie for `token`, before the account's stream is opened. */
  readonly openStreamSession?: (token: string) => Promise<void>;
  /** Where the timer events are (`timerEventsUrl`); without, nothing opens until `configure`. */
  readonly eventsUrl?: string;
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

export class TimerFeed {
  private readonly deps: TimerFeedDeps;
  private readonly handlers: TimerFeedHandlers;
  private readonly events: ReconnectingEvents;
  private running = false;
  private state: StreamState = 'idle';
  /** Where the events are; null until the page knows (`/config.json` has not answered yet). */
  private eventsUrl: string | null;
  /** The last event number seen, to resume from when the stream is reopened. */
  private lastSeq: number | null = null;
  /** The signed-in session's token; null: anonymous. */
  private token: string | null = null;
  /** Counts `follow` calls, so a cookie set for an earlier session opens nothing. */
  private generation = 0;

  constructor(deps: TimerFeedDeps, handlers: TimerFeedHandlers) {
    this.deps = deps;
    this.handlers = handlers;
    this.eventsUrl = deps.eventsUrl ?? null;
    this.events = new ReconnectingEvents(
      deps.openEvents,
      {
        connect: () => this.connect(),
        onOpen: () => this.onOpen(),
        onEvent: (data) => this.onEvent(data),
        onError: () => this.setState('reconnecting'),
      },
      deps.random,
    );
  }

  start(): void {
    this.running = true;
    this.connect();
  }

  stop(): void {
    this.running = false;
    this.events.close();
    this.setState('idle');
  }

  /** Where the events are, once known: (re)connects there. */
  configure(eventsUrl: string): void {
    if (eventsUrl === this.eventsUrl) return;
    this.eventsUrl = eventsUrl;
    this.events.close();
    this.connect();
  }

  /** Follows `token`'s timers (null: this browser's anonymous ones), from scratch. */
  follow(token: string | null): void {
    this.token = token;
    this.generation += 1;
    this.events.close();
    this.lastSeq = null;
    this.setState('idle');
    this.connect();
  }

  /** Opens the stream again (the anonymous ids changed: a timer was set). */
  reopen(): void {
    if (!this.running) return;
    this.connect();
  }

  private connect(): void {
    if (!this.running) return;
    const ids = this.token === null ? this.deps.ids?.list() : undefined;
    if (ids?.length === 0) return; // nothing to follow yet: no stream, still idle
    if (this.state === 'idle') this.setState('connecting');
    if (this.eventsUrl === null) return; // until the page knows where the stream service is
    if (this.token !== null) {
      void this.connectAccount(this.eventsUrl, this.token, this.generation);
      return;
    }
    const url = ids === undefined ? this.eventsUrl : eventsUrlFor(this.eventsUrl, ids, this.lastSeq);
    this.open(url, this.deps.openEvents);
  }

  /** The account's stream: the session cookie first, then the stream. */
  private async connectAccount(eventsUrl: string, token: string, generation: number): Promise<void> {
    try {
      await this.deps.openStreamSession?.(token);
    } catch {
      if (generation === this.generation) {
        this.setState('reconnecting');
        this.events.retryLater();
      }
      return;
    }
    if (generation === this.generation && this.running && !this.events.open) {
      this.open(eventsUrl, this.deps.openAccountEvents ?? this.deps.openEvents);
    }
  }

  private open(url: string, openEvents: OpenEvents): void {
    if (this.state !== 'connecting') this.setState('reconnecting');
    this.events.connectTo(url, openEvents);
  }

  private onOpen(): void {
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

  private setState(state: StreamState): void {
    if (state === this.state) return;
    this.state = state;
    this.handlers.onState(state);
  }
}
