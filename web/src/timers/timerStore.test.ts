// The timer store against a fake event stream, a fake API and fake timers: loading on every
// connection, events, alerts, reconnecting after a refused stream, and overdue timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TimerApiError, type NewTimer, type Timer } from './timerApi';
import type { OpenEvents } from '../shared/eventStream';
import { FakeStream, timer } from './timerFixtures';
import { storedTimerIds, type TimerIds } from './timerIds';
import { MAX_ENDED } from './timerOrder';
import {
  LIST_ANYWAY_MS,
  LIST_RETRY_MS,
  MAX_ALERTS,
  OVERDUE_CHECK_MS,
  OVERDUE_MS,
  TimerStore,
} from './timerStore';

const T = 1_795_000_000_000;

let streams: FakeStream[];
let listed: Timer[];
let api: {
  list: ReturnType<typeof vi.fn<() => Promise<Timer[]>>>;
  get: ReturnType<typeof vi.fn<(id: string) => Promise<Timer>>>;
  create: ReturnType<typeof vi.fn<(request: NewTimer) => Promise<Timer>>>;
  cancel: ReturnType<typeof vi.fn<(id: string) => Promise<Timer>>>;
};
let fired: Timer[];
let store: TimerStore;

const latest = () => streams[streams.length - 1]!;
/** Opens a fake stream, kept in `streams`. */
const openFake: OpenEvents = (url, handlers) => {
  const stream = new FakeStream(url, handlers);
  streams.push(stream);
  return stream;
};

beforeEach(() => {
  vi.useFakeTimers({ now: T });
  streams = [];
  listed = [];
  fired = [];
  api = {
    list: vi.fn(() => Promise.resolve(listed)),
    get: vi.fn((id: string) => Promise.reject(new TimerApiError(404, `no ${id}`))),
    create: vi.fn((request: NewTimer) =>
      Promise.resolve(timer('new', 'pending', Date.now() + request.seconds * 1000, { label: request.label })),
    ),
    cancel: vi.fn((id: string) => Promise.resolve(timer(id, 'cancelled', T + 60_000, { endedAtMs: Date.now() }))),
  };
  store = new TimerStore({
    api,
    eventsUrl: 'http://127.0.0.1:8085/stream/timers',
    openEvents: openFake,
    now: () => Date.now(),
    onFired: (t) => fired.push(t),
    random: () => 0.5,
  });
});

afterEach(() => {
  store.stop();
  vi.useRealTimers();
});

describe('TimerStore', () => {
  it('opens the event stream on start, once, and loads the list when it opens', async () => {
    listed = [timer('a', 'pending', T + 2_000), timer('old', 'fired', T - 600_000)];
    store.start();
    store.start();
    expect(streams).toHaveLength(1);
    expect(latest().url).toBe('http://127.0.0.1:8085/stream/timers');
    expect(store.getSnapshot().stream).toBe('connecting');
    expect(api.list).not.toHaveBeenCalled();

    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.list).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(LIST_ANYWAY_MS);
    expect(api.list).toHaveBeenCalledTimes(1); // once is enough
    const snapshot = store.getSnapshot();
    expect(snapshot.stream).toBe('live');
    expect(snapshot.pending.map((t) => t.id)).toEqual(['a']);
    expect(snapshot.ended.map((t) => t.id)).toEqual(['old']);
    expect(snapshot.alerts).toEqual([]); // history is not news
    expect(fired).toEqual([]);
  });

  it('raises one alert, and calls onFired once, when a pending timer fires', async () => {
    store.start();
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    const listener = vi.fn();
    store.subscribe(listener);

    latest().send(1, 'set', timer('a', 'pending', T + 2_000));
    expect(store.getSnapshot().pending.map((t) => t.id)).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(2_000);
    latest().send(2, 'fired', timer('a', 'fired', T + 2_000, { lateMs: 4, endedAtMs: T + 2_004 }));
    latest().send(2, 'fired', timer('a', 'fired', T + 2_000, { lateMs: 4, endedAtMs: T + 2_004 }));

    const snapshot = store.getSnapshot();
    expect(snapshot.pending).toEqual([]);
    expect(snapshot.ended.map((t) => [t.id, t.state, t.lateMs])).toEqual([['a', 'fired', 4]]);
    expect(snapshot.alerts.map((t) => t.id)).toEqual(['a']);
    expect(fired.map((t) => t.id)).toEqual(['a']);
    expect(listener).toHaveBeenCalled();

    store.dismiss('a');
    expect(store.getSnapshot().alerts).toEqual([]);
  });

  it('ignores malformed events', () => {
    store.start();
    latest().handlers.onOpen();
    const before = store.getSnapshot();
    latest().handlers.onEvent('{"seq":1,"kind":"set"}');
    latest().handlers.onEvent('nonsense');
    expect(store.getSnapshot().timers).toBe(before.timers);
  });

  it('keeps at most MAX_ALERTS alerts, dropping the oldest', async () => {
    store.start();
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < MAX_ALERTS + 2; i += 1) {
      latest().send(2 * i + 1, 'set', timer(`t${i}`, 'pending', T + i));
      latest().send(2 * i + 2, 'fired', timer(`t${i}`, 'fired', T + i));
    }
    expect(store.getSnapshot().alerts.map((t) => t.id)).toEqual(['t2', 't3', 't4', 't5', 't6']);
  });

  it('sets and cancels through the API, showing the result before the stream says so', async () => {
    store.start();
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);

    const set = await store.set({ hours: 0, minutes: 0, seconds: 60, label: 'tea' });
    expect(api.create).toHaveBeenCalledWith({ hours: 0, minutes: 0, seconds: 60, label: 'tea' });
    expect(store.getSnapshot().pending.map((t) => t.label)).toEqual(['tea']);

    await store.cancel(set.id);
    expect(api.cancel).toHaveBeenCalledWith('new');
    expect(store.getSnapshot().pending).toEqual([]);
    expect(store.getSnapshot().ended.map((t) => t.state)).toEqual(['cancelled']);
    // The stream's late "set" event does not bring it back.
    latest().send(1, 'set', timer('new', 'pending', T + 60_000));
    expect(store.getSnapshot().pending).toEqual([]);
    expect(fired).toEqual([]);
  });

  it('passes on a refused set', async () => {
    api.create.mockRejectedValueOnce(new TimerApiError(400, 'Label is over 200 bytes'));
    const refused = store.set({ hours: 0, minutes: 0, seconds: 1, label: 'x' });
    await expect(refused).rejects.toThrow('Label is over 200 bytes');
    expect(store.getSnapshot().pending).toEqual([]);
  });

  it('waits while the browser retries a dropped stream, then loads the list again', async () => {
    store.start();
    latest().handlers.onOpen();
    latest().send(1, 'set', timer('a', 'pending', T + 1_000));
    await vi.advanceTimersByTimeAsync(0);

    latest().handlers.onError(false);
    expect(store.getSnapshot().stream).toBe('reconnecting');
    expect(streams).toHaveLength(1);

    // It fired while the stream was away; the list on reopening says so.
    listed = [timer('a', 'fired', T + 1_000, { endedAtMs: T + 1_000 })];
    await vi.advanceTimersByTimeAsync(1_500);
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().stream).toBe('live');
    expect(api.list).toHaveBeenCalledTimes(2); // on opening, on reopening
    expect(fired.map((t) => t.id)).toEqual(['a']);
  });

  it('opens a new stream, with backoff, when one is refused for good', async () => {
    store.start();
    latest().handlers.onError(true);
    expect(store.getSnapshot().stream).toBe('reconnecting');
    expect(latest().closed).toBe(true);
    expect(streams).toHaveLength(1);
    // The first retry waits half of 250 ms with random() = 0.5.
    await vi.advanceTimersByTimeAsync(124);
    expect(streams).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(streams).toHaveLength(2);
    // The closed stream's late calls are ignored.
    streams[0]!.handlers.onOpen();
    expect(store.getSnapshot().stream).toBe('reconnecting');
    latest().handlers.onOpen();
    expect(store.getSnapshot().stream).toBe('live');
  });

  it('shows why the list could not be loaded, and tries again with backoff until it can', async () => {
    api.list.mockRejectedValue(new TimerApiError(504, 'The timer service is not answering; retry shortly.'));
    store.start();
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getSnapshot().problem).toMatch(/not answering/);
    expect(api.list).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(LIST_RETRY_MS);
    expect(api.list).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(2 * LIST_RETRY_MS - 1);
    expect(api.list).toHaveBeenCalledTimes(2);
    listed = [timer('a', 'pending', T + 60_000)];
    api.list.mockImplementation(() => Promise.resolve(listed));
    await vi.advanceTimersByTimeAsync(1);
    expect(api.list).toHaveBeenCalledTimes(3);
    expect(store.getSnapshot().problem).toBeNull();
    expect(store.getSnapshot().pending.map((t) => t.id)).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(api.list).toHaveBeenCalledTimes(3);
  });

  it('loads the list even when the stream does not open (a proxy holding its headers back)', async () => {
    listed = [timer('a', 'pending', T + 60_000)];
    store.start();
    await vi.advanceTimersByTimeAsync(LIST_ANYWAY_MS);
    expect(api.list).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().pending.map((t) => t.id)).toEqual(['a']);
  });

  it('keeps every pending timer but only the newest MAX_ENDED ended ones, in order', async () => {
    const ended = Array.from({ length: MAX_ENDED + 30 }, (_, n) => timer(`e${n}`, 'fired', T - 600_000 + n));
    const pending = [timer('p2', 'pending', T + 2_000), timer('p1', 'pending', T + 1_000)];
    listed = [...ended, ...pending];
    store.start();
    await vi.advanceTimersByTimeAsync(LIST_ANYWAY_MS);
    const snapshot = store.getSnapshot();
    expect(snapshot.ended).toHaveLength(MAX_ENDED);
    expect(snapshot.ended[0]!.id).toBe(`e${MAX_ENDED + 29}`);
    expect(snapshot.pending.map((t) => t.id)).toEqual(['p1', 'p2']);
    expect(snapshot.timers.byId.size).toBe(MAX_ENDED + 2);
  });

  it('asks about a timer well past due whose fired event never came', async () => {
    store.start();
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    latest().send(1, 'set', timer('a', 'pending', T + 1_000));
    api.get.mockImplementation((id) => Promise.resolve(timer(id, 'fired', T + 1_000, { lateMs: 2 })));

    await vi.advanceTimersByTimeAsync(1_000 + OVERDUE_MS - OVERDUE_CHECK_MS);
    expect(api.get).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(OVERDUE_CHECK_MS);
    expect(api.get).toHaveBeenCalledWith('a');
    expect(store.getSnapshot().ended.map((t) => t.state)).toEqual(['fired']);
    expect(fired.map((t) => t.id)).toEqual(['a']);
  });

  it('stops: closes the stream and opens none again', async () => {
    store.start();
    store.stop();
    expect(latest().closed).toBe(true);
    expect(store.getSnapshot().stream).toBe('idle');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(streams).toHaveLength(1);
    expect(api.get).not.toHaveBeenCalled();
  });
});

describe('TimerStore with the ids this browser set', () => {
  let ids: TimerIds;
  let own: TimerStore;

  beforeEach(() => {
    ids = storedTimerIds(null);
    api.get.mockImplementation((id: string) =>
      id === 'gone' ? Promise.reject(new TimerApiError(404, 'no such timer')) : Promise.resolve(timer(id, 'pending', T + 60_000)),
    );
    own = new TimerStore({
      api,
      eventsUrl: 'http://127.0.0.1:8085/stream/timers',
      openEvents: openFake,
      now: () => Date.now(),
      onFired: (t) => fired.push(t),
      random: () => 0.5,
      ids,
    });
  });

  afterEach(() => own.stop());

  it('opens no stream and lists nobody else’s timers while it has set none', async () => {
    own.start();
    await vi.advanceTimersByTimeAsync(LIST_ANYWAY_MS);
    expect(streams).toHaveLength(0);
    expect(api.list).not.toHaveBeenCalled();
    expect(own.getSnapshot().pending).toEqual([]);
  });

  it('follows the timers it set, by id, and forgets those the server no longer has', async () => {
    ids.add('gone');
    ids.add('mine');
    own.start();
    expect(latest().url).toBe('http://127.0.0.1:8085/stream/timers?ids=gone%2Cmine');
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.list).not.toHaveBeenCalled();
    expect(own.getSnapshot().pending.map((t) => t.id)).toEqual(['mine']);
    expect(ids.list()).toEqual(['mine']);

    latest().send(7, 'set', timer('mine', 'pending', T + 60_000));
    await own.set({ hours: 0, minutes: 0, seconds: 5, label: 'tea' });
    // A new timer: the stream is reopened naming it too, resuming after what was seen.
    expect(streams[0]!.closed).toBe(true);
    expect(latest().url).toBe('http://127.0.0.1:8085/stream/timers?ids=mine%2Cnew&last_event_id=7');
  });

  it('reloads its timers when the stream says older events were deleted', async () => {
    ids.add('mine');
    own.start();
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(api.get).toHaveBeenCalledTimes(1);
    latest().handlers.onEvent(JSON.stringify({ seq: 3, kind: 'dropped', timer: null }));
    await vi.advanceTimersByTimeAsync(0);
    expect(api.get).toHaveBeenCalledTimes(2);
  });
});

describe('TimerStore before the page knows where the stream is', () => {
  it('stays idle, with no stream, while this browser has set no timer', () => {
    const none = new TimerStore({
      api,
      openEvents: openFake,
      eventsUrl: 'http://127.0.0.1:8085/stream/timers',
      ids: storedTimerIds(null),
      now: () => Date.now(),
    });
    none.start();
    expect(streams).toHaveLength(0);
    expect(none.getSnapshot().stream).toBe('idle');
    none.stop();
  });

  it('says connecting, then opens the stream once configured', () => {
    const waiting = new TimerStore({
      api,
      openEvents: openFake,
      now: () => Date.now(),
    });
    waiting.start();
    expect(streams).toHaveLength(0);
    expect(waiting.getSnapshot().stream).toBe('connecting');
    waiting.configure('http://127.0.0.1:8085/stream/timers');
    expect(streams).toHaveLength(1);
    expect(latest().url).toBe('http://127.0.0.1:8085/stream/timers');
    waiting.stop();
  });
});
