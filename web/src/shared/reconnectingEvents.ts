/**
 * One event stream that stays open: the browser resumes a dropped stream by
 * itself (sending Last-Event-ID), and a stream it gave up on (refused, e.g.
 * a 503, or failed) is replaced after a backoff (250 ms doubling to 10 s,
 * with jitter, reset once a stream opens). The timers' feed and the random
 * numbers' store each own one; what URL to open, and when, stays theirs
 * (`connect`), so one may do work first (set a cookie) or wait for a URL.
 */

import { Backoff } from './backoff';
import type { EventStream, OpenEvents } from './eventStream';

/** What the owner of a reconnecting stream does and hears. */
export interface StreamOwner {
  /** (Re)connects: calls `open(url)` now or later, or `retryLater()` when it cannot. */
  connect(): void;
  onOpen(): void;
  /** The `data:` of one event. */
  onEvent(data: string): void;
  /** The stream failed; `closed`: for good, so a new one is on its way after a backoff. */
  onError(closed: boolean): void;
}

type Timeout = ReturnType<typeof setTimeout>;

export class ReconnectingEvents {
  private readonly openEvents: OpenEvents;
  private readonly owner: StreamOwner;
  private readonly backoff: Backoff;
  private stream: EventStream | null = null;
  private retryTimer: Timeout | undefined;

  constructor(openEvents: OpenEvents, owner: StreamOwner, random?: () => number) {
    this.openEvents = openEvents;
    this.owner = owner;
    this.backoff = new Backoff(random ? { random } : {});
  }

  /** Whether a stream is open (or opening) or a new one is waiting to be opened. */
  get active(): boolean {
    return this.stream !== null || this.retryTimer !== undefined;
  }

  /** Whether a stream is open (or opening). */
  get open(): boolean {
    return this.stream !== null;
  }

  /** Opens `url` now (replacing any stream, cancelling any retry); `openEvents` overrides the default opener. */
  connectTo(url: string, openEvents: OpenEvents = this.openEvents): void {
    this.cancelRetry();
    this.drop();
    const stream = openEvents(url, {
      onOpen: () => {
        if (this.stream !== stream) return;
        this.backoff.reset();
        this.owner.onOpen();
      },
      onEvent: (data) => this.stream === stream && this.owner.onEvent(data),
      onError: (closed) => {
        if (this.stream !== stream) return;
        if (closed) this.drop();
        this.owner.onError(closed);
        if (closed) this.retryLater();
      },
    });
    this.stream = stream;
  }

  /** Drops any stream and asks the owner to connect again after the next backoff delay. */
  retryLater(): void {
    this.drop();
    this.cancelRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.owner.connect();
    }, this.backoff.next().delayMs);
  }

  /** Closes the stream and forgets any retry; the next `connectTo` starts the backoff afresh. */
  close(): void {
    this.cancelRetry();
    this.drop();
    this.backoff.reset();
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private drop(): void {
    const stream = this.stream;
    this.stream = null;
    stream?.close();
  }
}
