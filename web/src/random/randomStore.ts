/**
 * The Random page's link to the stream service's `/stream` (Server-Sent
 * Events, `event: data` ten times a second): connect and disconnect on
 * request, the browser's own reconnection (with Last-Event-ID) while it
 * lasts, a fresh stream with backoff when the browser gives up (a refused
 * or failed response), and a snapshot for React (`useSyncExternalStore`).
 * The stream and clock are injected, so tests use fakes; the counting lives
 * in the pure `randomFeed`.
 */

import { Backoff } from '../shared/backoff';
import type { EventStream, OpenEvents } from '../shared/eventStream';
import { initialFeed, reduceFeed, type FeedAction, type FeedState } from './randomFeed';

/** On the stream service: `event: data`, `{"timestamp","value","sequence"}`. */
export const RANDOM_STREAM_PATH = '/stream';

export type Connection = 'disconnected' | 'connecting' | 'live' | 'reconnecting';

export interface RandomSnapshot {
  readonly feed: FeedState;
  readonly connection: Connection;
  /** The stream's URL. */
  readonly url: string;
}

export interface RandomStoreDeps {
  /** Opens streams of `event: data`. */
  readonly openEvents: OpenEvents;
  /** The stream's URL (`${stream}/stream`). */
  readonly url: string;
  /** Now, unix ms, for the log's timestamps. */
  readonly now: () => number;
  readonly random?: () => number;
}

type Timeout = ReturnType<typeof setTimeout>;

export class RandomStore {
  private readonly deps: RandomStoreDeps;
  private readonly backoff: Backoff;
  private readonly listeners = new Set<() => void>();

  private stream: EventStream | null = null;
  private connection: Connection = 'disconnected';
  private feed: FeedState = initialFeed;
  private retryTimer: Timeout | undefined;
  /** Whether the stream should be open while the page is shown (Connect: yes, Disconnect: no). */
  private wanted = true;
  private snap: RandomSnapshot;

  constructor(deps: RandomStoreDeps) {
    this.deps = deps;
    this.backoff = new Backoff(deps.random ? { random: deps.random } : {});
    this.snap = this.buildSnapshot();
  }

  /** The page is shown: connects unless the person disconnected. */
  readonly attach = (): void => {
    if (this.wanted) this.open();
  };

  /** The page is left: closes the stream, remembering whether it was wanted. */
  readonly detach = (): void => {
    this.close(null);
  };

  /** The Connect button. */
  readonly connect = (): void => {
    this.wanted = true;
    this.open();
  };

  /** The Disconnect button: no more events until Connect. */
  readonly disconnect = (): void => {
    this.wanted = false;
    this.close('Disconnected.');
  };

  /** Starts the counts, chart and log afresh (the stream stays as it is). */
  readonly clear = (): void => {
    this.apply({ type: 'clear' });
  };

  /** For useSyncExternalStore. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): RandomSnapshot => this.snap;

  // --- the stream -----------------------------------------------------------

  private open(): void {
    if (this.stream !== null || this.retryTimer !== undefined) return;
    this.backoff.reset();
    this.notice('info', `Connecting to ${this.deps.url}…`);
    this.setConnection('connecting');
    this.openStream();
  }

  private openStream(): void {
    this.retryTimer = undefined;
    const stream = this.deps.openEvents(this.deps.url, {
      onOpen: () => this.stream === stream && this.onOpen(),
      onEvent: (data) => this.stream === stream && this.apply({ type: 'data', data, atMs: this.deps.now() }),
      onError: (closed) => this.stream === stream && this.onError(closed),
    });
    this.stream = stream;
  }

  private onOpen(): void {
    this.backoff.reset();
    this.notice('info', 'Connected.');
    this.setConnection('live');
  }

  private onError(closed: boolean): void {
    if (this.connection !== 'reconnecting') {
      this.notice('error', this.connection === 'live' ? 'Connection lost; reconnecting…' : 'Cannot connect; retrying…');
    }
    this.setConnection('reconnecting');
    if (!closed) return; // the browser reconnects, sending Last-Event-ID
    this.dropStream();
    this.retryTimer = setTimeout(() => this.openStream(), this.backoff.next().delayMs);
  }

  private close(note: string | null): void {
    const wasOpen = this.stream !== null || this.retryTimer !== undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.dropStream();
    if (wasOpen && note !== null) this.notice('info', note);
    this.setConnection('disconnected');
  }

  private dropStream(): void {
    const stream = this.stream;
    this.stream = null;
    stream?.close();
  }

  // --- state and snapshot ---------------------------------------------------

  private notice(kind: 'info' | 'error', text: string): void {
    this.apply({ type: 'notice', kind, text, atMs: this.deps.now() });
  }

  private apply(action: FeedAction): void {
    this.feed = reduceFeed(this.feed, action);
    this.publish();
  }

  private setConnection(connection: Connection): void {
    if (connection === this.connection) return;
    this.connection = connection;
    this.publish();
  }

  private buildSnapshot(): RandomSnapshot {
    return { feed: this.feed, connection: this.connection, url: this.deps.url };
  }

  private publish(): void {
    const prev = this.snap;
    if (prev.feed === this.feed && prev.connection === this.connection) return;
    this.snap = this.buildSnapshot();
    for (const listener of this.listeners) listener();
  }
}
