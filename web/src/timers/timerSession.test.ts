// The timer store across sign-in and sign-out: the account's timers and stream while signed in,
// only this browser's anonymous ones while signed out, and never a stranger's timer either way.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NewTimer, Timer } from './timerApi';
import { FakeStream, timer } from './timerFixtures';
import { storedTimerIds, type TimerIds } from './timerIds';
import { TimerStore } from './timerStore';

const T = 1_795_000_000_000;
const EVENTS = 'http://127.0.0.1:8085/stream/timers';

let streams: FakeStream[];
let ids: TimerIds;
let listed: Timer[];
let cookies: string[];
let store: TimerStore;
let create: ReturnType<typeof vi.fn<(request: NewTimer) => Promise<Timer>>>;

const latest = () => streams[streams.length - 1]!;
const shown = () => store.getSnapshot().pending.map((t) => t.id);

beforeEach(() => {
  vi.useFakeTimers({ now: T });
  streams = [];
  cookies = [];
  listed = [];
  ids = storedTimerIds(null);
  create = vi.fn((request: NewTimer) => Promise.resolve(timer('new', 'pending', T + 60_000, { label: request.label })));
  store = new TimerStore({
    api: {
      list: () => Promise.resolve(listed),
      get: (id) => Promise.resolve(timer(id, 'pending', T + 30_000)),
      create,
      cancel: (id) => Promise.resolve(timer(id, 'cancelled', T + 30_000, { endedAtMs: T })),
    },
    eventsUrl: EVENTS,
    openEvents: (url, handlers) => {
      const stream = new FakeStream(url, handlers);
      streams.push(stream);
      return stream;
    },
    ids,
    openStreamSession: (token) => {
      cookies.push(token);
      return Promise.resolve();
    },
    now: () => Date.now(),
    random: () => 0.5,
  });
});

afterEach(() => {
  store.stop();
  vi.useRealTimers();
});

describe('TimerStore, signed in', () => {
  it('sets the stream cookie, then follows the account’s stream (no token or ids in the URL) and lists its timers', async () => {
    listed = [timer('acct-1', 'pending', T + 5_000, { owned: true })];
    store.setSession('tok_ada');
    store.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(cookies).toEqual(['tok_ada']);
    expect(latest().url).toBe(EVENTS);
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(shown()).toEqual(['acct-1']);
    expect(store.getSnapshot().signedIn).toBe(true);
  });

  it('keeps timers it sets out of the anonymous ids', async () => {
    create.mockResolvedValueOnce(timer('acct-2', 'pending', T + 60_000, { owned: true }));
    store.setSession('tok_ada');
    store.start();
    await store.set({ hours: 0, minutes: 1, seconds: 0, label: 'tea' });
    expect(shown()).toEqual(['acct-2']);
    expect(ids.list()).toEqual([]);
  });

  it('drops anonymous timers an account’s stream or list might carry', async () => {
    listed = [timer('anon', 'pending', T + 5_000), timer('acct-1', 'pending', T + 6_000, { owned: true })];
    store.setSession('tok_ada');
    store.start();
    await vi.advanceTimersByTimeAsync(0);
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    latest().send(3, 'set', timer('stranger', 'pending', T + 7_000));
    expect(shown()).toEqual(['acct-1']);
  });
});

describe('TimerStore, signing out', () => {
  it('forgets the account’s timers and alerts at once, and follows only this browser’s anonymous timers', async () => {
    listed = [timer('acct-1', 'pending', T + 500, { owned: true })];
    store.setSession('tok_ada');
    store.start();
    await vi.advanceTimersByTimeAsync(0);
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    latest().send(4, 'fired', timer('acct-1', 'fired', T + 500, { owned: true }));
    expect(store.getSnapshot().alerts).toHaveLength(1);
    const accountStream = latest();

    ids.add('mine');
    store.setSession(null);
    expect(accountStream.closed).toBe(true);
    expect(store.getSnapshot()).toMatchObject({ pending: [], ended: [], alerts: [], signedIn: false });
    expect(latest().url).toBe(`${EVENTS}?ids=mine`);
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    expect(shown()).toEqual(['mine']);
  });

  it('ignores an answer the previous session asked for', async () => {
    let answer: (timers: Timer[]) => void = () => {};
    store = new TimerStore({
      api: {
        list: () => new Promise((resolve) => (answer = resolve)),
        get: () => Promise.reject(new Error('unused')),
        create,
        cancel: () => Promise.reject(new Error('unused')),
      },
      eventsUrl: EVENTS,
      openEvents: (url, handlers) => new FakeStream(url, handlers),
      ids,
      openStreamSession: () => Promise.resolve(),
      now: () => Date.now(),
    });
    store.setSession('tok_ada');
    store.start();
    await vi.advanceTimersByTimeAsync(2_000); // the list is asked for
    store.setSession(null);
    answer([timer('acct-1', 'pending', T + 5_000, { owned: true })]);
    await vi.advanceTimersByTimeAsync(0);
    expect(shown()).toEqual([]);
  });

  it('never shows, signed out, a timer this browser did not set', async () => {
    ids.add('mine');
    store.start();
    latest().handlers.onOpen();
    await vi.advanceTimersByTimeAsync(0);
    latest().send(5, 'set', timer('theirs', 'pending', T + 9_000));
    latest().send(6, 'set', timer('acct-9', 'pending', T + 9_000, { owned: true }));
    expect(shown()).toEqual(['mine']);
  });
});
