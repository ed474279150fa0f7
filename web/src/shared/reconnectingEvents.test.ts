// The shared reconnecting stream against a fake opener and fake timers: the browser's own retries
// are left to it, a stream given up on is replaced after a growing backoff, and close stops all.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventHandlers } from './eventStream';
import { ReconnectingEvents, type StreamOwner } from './reconnectingEvents';

interface FakeStream {
  readonly url: string;
  readonly handlers: EventHandlers;
  closed: boolean;
}

let streams: FakeStream[];
let heard: string[];
let events: ReconnectingEvents;
const latest = () => streams[streams.length - 1]!;

beforeEach(() => {
  vi.useFakeTimers();
  streams = [];
  heard = [];
  const owner: StreamOwner = {
    connect: () => events.connectTo('/stream'),
    onOpen: () => heard.push('open'),
    onEvent: (data) => heard.push(`event ${data}`),
    onError: (closed) => heard.push(closed ? 'closed' : 'error'),
  };
  events = new ReconnectingEvents(
    (url, handlers) => {
      const stream: FakeStream = { url, handlers, closed: false };
      streams.push(stream);
      return { close: () => void (stream.closed = true) };
    },
    owner,
    () => 1, // the full backoff ceiling, no jitter
  );
});

afterEach(() => {
  events.close();
  vi.useRealTimers();
});

describe('ReconnectingEvents', () => {
  it('passes on what the stream says', () => {
    events.connectTo('/stream');
    latest().handlers.onOpen();
    latest().handlers.onEvent('1');
    expect(heard).toEqual(['open', 'event 1']);
    expect(events.open).toBe(true);
  });

  it('leaves a stream the browser is retrying alone', () => {
    events.connectTo('/stream');
    latest().handlers.onError(false);
    vi.advanceTimersByTime(60_000);
    expect(streams).toHaveLength(1);
    expect(latest().closed).toBe(false);
    expect(heard).toEqual(['error']);
  });

  it('replaces a stream given up on after a backoff that grows, and resets once one opens', () => {
    events.connectTo('/stream');
    latest().handlers.onError(true);
    expect(streams[0]!.closed).toBe(true);
    expect(events.active).toBe(true);
    expect(events.open).toBe(false);
    vi.advanceTimersByTime(249);
    expect(streams).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(streams).toHaveLength(2);

    latest().handlers.onError(true);
    vi.advanceTimersByTime(499);
    expect(streams).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(streams).toHaveLength(3);

    latest().handlers.onOpen();
    latest().handlers.onError(true);
    vi.advanceTimersByTime(250);
    expect(streams).toHaveLength(4);
  });

  it('ignores a replaced stream', () => {
    events.connectTo('/a');
    const old = latest();
    events.connectTo('/b');
    expect(old.closed).toBe(true);
    old.handlers.onEvent('stale');
    old.handlers.onError(true);
    vi.advanceTimersByTime(60_000);
    expect(heard).toEqual([]);
    expect(streams).toHaveLength(2);
  });

  it('stops retrying once closed', () => {
    events.connectTo('/stream');
    latest().handlers.onError(true);
    events.close();
    expect(events.active).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(streams).toHaveLength(1);
  });
});
