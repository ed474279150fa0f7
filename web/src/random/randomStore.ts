/**
 * The Random page's link to the stream service's `/stream` (Server-Sent
 * Events, `event: data` ten times a second), open only while the page is
 * shown (`start`/`stop`, so a hidden feature costs nothing): connect and
 * disconnect on request, the browser's own reconnection (with Last-Event-ID)
 * while it lasts, a fresh stream with backoff when the browser gives up
 * (`reconnectingEvents.ts`), and a snapshot for React (`shared/store.ts`).
 * The stream and clock are injected, so tests use fakes; the counting lives
 * in the pure `randomFeed`.
 */

import type { OpenEvents } from '../shared/eventStream';
import { ReconnectingEvents } from '../shared/reconnectingEvents';
import { createStore, type Readable, type Store } from '../shared/store';
import { initialFeed, reduceFeed, type FeedAction, type FeedState } from './randomFeed';

/** On the stream service: `event: data`, `{"timestamp","value","sequence"}`. */
export const RANDOM_STREAM_PATH = '/stream';

export type Connection = 'disconnected' | 'connecting' | 'live' | 'reconnecting';

export interface RandomSnapshot {
  readonly feed: FeedState;
  readonly connection: Connection;
  /** The stream's URL ('' until known). */
  readonly url: string;
}

export interface RandomStoreDeps {
  /** Opens streams of `event: data`. */
  readonly openEvents: OpenEvents;
  /** The stream's URL (`${stream}/stream`); without, nothing opens until `configure`. */
  readonly url?: string;
  /** Now, unix ms, for the log's timestamps. */
  readonly now: () => number;
  readonly random?: () => number;
}

export class RandomStore implements Readable<RandomSnapshot> {
  private readonly deps: RandomStoreDeps;
  private readonly events: ReconnectingEvents;
  private readonly store: Store<RandomSnapshot>;
  /** Where the stream is; null until the page knows (`/config.json` has not answered yet). */
  private url: string | null;
  /** Whether the page is shown. */
  private started = false;
  /** Whether the stream should be open while the page is shown (Connect: yes, Disconnect: no). */
  private wanted = true;

  constructor(deps: RandomStoreDeps) {
    this.deps = deps;
    this.url = deps.url ?? null;
    this.store = createStore<RandomSnapshot>({ feed: initialFeed, connection: 'disconnected', url: this.url ?? '' });
    this.events = new ReconnectingEvents(
      deps.openEvents,
      {
        connect: () => this.openStream(false),
        onOpen: () => this.onOpen(),
        onEvent: (data) => this.apply({ type: 'data', data, atMs: this.deps.now() }),
        onError: () => this.onError(),
      },
      deps.random,
    );
  }

  readonly getSnapshot = (): RandomSnapshot => this.store.getSnapshot();
  readonly subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  /** The page is shown: connects unless the person disconnected. */
  readonly start = (): void => {
    this.started = true;
    if (this.wanted) this.open();
  };

  /** The page is left: closes the stream, remembering whether it was wanted. */
  readonly stop = (): void => {
    this.started = false;
    this.close(null);
  };

  /** Where the stream is, once known: an open stream moves there. */
  configure(url: string): void {
    if (url === this.url) return;
    this.url = url;
    this.update({ url });
    if (this.events.active) this.events.close();
    if (this.started && this.wanted) this.openStream(true);
  }

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

  // --- the stream -----------------------------------------------------------

  private open(): void {
    if (this.events.active || this.getSnapshot().connection === 'connecting') return;
    this.update({ connection: 'connecting' });
    this.openStream(true);
  }

  /** Opens the stream once its URL is known (until then the page says "Connecting…"). */
  private openStream(announce: boolean): void {
    if (this.url === null) return;
    if (announce) this.notice('info', `Connecting to ${this.url}…`);
    this.events.connectTo(this.url);
  }

  private onOpen(): void {
    this.notice('info', 'Connected.');
    this.update({ connection: 'live' });
  }

  private onError(): void {
    const { connection } = this.getSnapshot();
    if (connection !== 'reconnecting') {
      this.notice('error', connection === 'live' ? 'Connection lost; reconnecting…' : 'Cannot connect; retrying…');
    }
    this.update({ connection: 'reconnecting' });
  }

  private close(note: string | null): void {
    const wasOpen = this.events.active || this.getSnapshot().connection !== 'disconnected';
    this.events.close();
    if (wasOpen && note !== null) this.notice('info', note);
    this.update({ connection: 'disconnected' });
  }

  // --- state and snapshot ---------------------------------------------------

  private notice(kind: 'info' | 'error', text: string): void {
    this.apply({ type: 'notice', kind, text, atMs: this.deps.now() });
  }

  private apply(action: FeedAction): void {
    this.update({ feed: reduceFeed(this.getSnapshot().feed, action) });
  }

  /** Publishes a snapshot with `change` if it changes anything. */
  private update(change: Partial<RandomSnapshot>): void {
    const prev = this.getSnapshot();
    const next = { ...prev, ...change };
    if (next.feed === prev.feed && next.connection === prev.connection && next.url === prev.url) return;
    this.store.set(next);
  }
}
