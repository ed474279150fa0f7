// The Random page's stream against a fake event stream and fake timers: connect and disconnect,
// counting, the browser's own retries, a fresh stream with backoff, and leaving the page.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventHandlers, OpenEvents } from '../shared/eventStream';
import { RandomStore } from './randomStore';

const T = 1_795_000_000_000;
const URL = 'http://127.0.0.1:8085/stream';

class FakeStream {
  closed = false;
  constructor(
    readonly url: string,
    readonly handlers: EventHandlers,
  ) {}
  close(): void {
    this.closed = true;
  }
  send(sequence: number, value: number): void {
    this.handlers.onEvent(JSON.stringify({ timestamp: T + sequence * 100, value, sequence }));
  }
}

let streams: FakeStream[];
let store: RandomStore;
const latest = () => streams[streams.length - 1]!;
/** Opens a fake stream, kept in `streams`. */
const openFake: OpenEvents = (url, handlers) => {
  const stream = new FakeStream(url, handlers);
  streams.push(stream);
  return stream;
};
const snapshot = () => store.getSnapshot();
const logTexts = () => snapshot().feed.log.map((entry) => entry.text);

beforeEach(() => {
  vi.useFakeTimers({ now: T });
  streams = [];
  store = new RandomStore({
    url: URL,
    openEvents: openFake,
    now: () => Date.now(),
    random: () => 0.5,
  });
});

afterEach(() => {
  store.stop();
  vi.useRealTimers();
});

describe('RandomStore', () => {
  it('connects when the page is shown, once, and counts what arrives', () => {
    expect(snapshot().connection).toBe('disconnected');
    store.start();
    store.start();
    expect(streams).toHaveLength(1);
    expect(latest().url).toBe(URL);
    expect(snapshot().connection).toBe('connecting');

    latest().handlers.onOpen();
    expect(snapshot().connection).toBe('live');
    latest().send(1, 57);
    latest().handlers.onEvent('garbage');
    latest().send(2, 12);
    expect(snapshot().feed).toMatchObject({ total: 3, complete: 2, incomplete: 1, latest: { value: 12 } });
    expect(snapshot().url).toBe(URL);
    expect(logTexts()).toEqual(['#2 · 12', 'Incomplete: garbage', '#1 · 57', 'Connected.', `Connecting to ${URL}…`]);
  });

  it('stops counting on Disconnect and stays disconnected when the page is shown again', () => {
    store.start();
    const first = latest();
    first.handlers.onOpen();
    first.send(1, 1);
    store.disconnect();
    expect(first.closed).toBe(true);
    expect(snapshot().connection).toBe('disconnected');
    first.send(2, 2); // late, from a closed stream
    expect(snapshot().feed.total).toBe(1);
    expect(logTexts()[0]).toBe('Disconnected.');

    store.stop();
    store.start();
    expect(streams).toHaveLength(1);

    store.connect();
    expect(streams).toHaveLength(2);
    latest().handlers.onOpen();
    latest().send(2, 2);
    expect(snapshot().feed.total).toBe(2);
  });

  it('closes the stream when the page is left and opens it again when it is back', () => {
    store.start();
    store.stop();
    expect(latest().closed).toBe(true);
    expect(snapshot().connection).toBe('disconnected');
    store.start();
    expect(streams).toHaveLength(2);
    expect(latest().closed).toBe(false);
  });

  it('lets the browser retry a dropped stream, saying so once', () => {
    store.start();
    latest().handlers.onOpen();
    latest().handlers.onError(false);
    latest().handlers.onError(false);
    expect(snapshot().connection).toBe('reconnecting');
    expect(streams).toHaveLength(1);
    expect(logTexts().filter((text) => text.startsWith('Connection lost'))).toHaveLength(1);
    latest().handlers.onOpen();
    expect(snapshot().connection).toBe('live');
  });

  it('opens a new stream with backoff when the browser gives up', async () => {
    store.start();
    latest().handlers.onError(true);
    expect(latest().closed).toBe(true);
    expect(snapshot().connection).toBe('reconnecting');
    expect(logTexts()[0]).toBe('Cannot connect; retrying…');
    await vi.advanceTimersByTimeAsync(124); // 0.5 × 250 ms
    expect(streams).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(streams).toHaveLength(2);

    latest().handlers.onError(true);
    await vi.advanceTimersByTimeAsync(249); // 0.5 × 500 ms
    expect(streams).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(streams).toHaveLength(3);
    latest().handlers.onOpen();
    expect(snapshot().connection).toBe('live');
  });

  it('does not come back after Disconnect while a retry was pending', async () => {
    store.start();
    latest().handlers.onError(true);
    store.disconnect();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(streams).toHaveLength(1);
    expect(snapshot().connection).toBe('disconnected');
  });

  it('clears the counts, chart and log on request, and tells its listeners', () => {
    store.start();
    latest().handlers.onOpen();
    latest().send(1, 5);
    const listener = vi.fn();
    store.subscribe(listener);
    store.clear();
    expect(listener).toHaveBeenCalled();
    expect(snapshot().feed).toMatchObject({ total: 0, latest: null, points: [], log: [] });
    expect(snapshot().connection).toBe('live');
  });
});

describe('RandomStore before the page knows where the stream is', () => {
  it('says connecting, then opens the stream once configured', () => {
    const waiting = new RandomStore({
      openEvents: openFake,
      now: () => Date.now(),
    });
    waiting.start();
    expect(streams).toHaveLength(0);
    expect(waiting.getSnapshot().connection).toBe('connecting');
    waiting.configure(URL);
    expect(streams).toHaveLength(1);
    expect(latest().url).toBe(URL);
    expect(waiting.getSnapshot().url).toBe(URL);
    waiting.stop();
  });
});
