// The connection state machine: which status each sequence of socket events leads to.
import { describe, expect, it } from 'vitest';
import {
  initialConnection,
  isReceiving,
  listNames,
  liveFor,
  OUTAGE_AFTER_MS,
  reduceConnection,
  shouldGiveUp,
  statusOf,
  trackOutages,
  type ConnectionEvent,
  type ConnectionState,
} from './connection';

/** The state after `events`, starting from a first connection at t = 0. */
function after(...events: ConnectionEvent[]): ConnectionState {
  return events.reduce(reduceConnection, initialConnection(0));
}

const open = (at: number): ConnectionEvent => ({ type: 'open', at });
const frame = (at: number, ...degraded: string[]): ConnectionEvent => ({ type: 'frame', at, degraded });
const closed = (at: number, retryAt: number, attempt: number): ConnectionEvent => ({
  type: 'closed',
  at,
  retryAt,
  attempt,
});

describe('statusOf', () => {
  it('is connecting until the first frame of the first connection', () => {
    expect(statusOf(after(), 100)).toEqual({ state: 'connecting', text: 'Connecting…' });
    expect(statusOf(after(open(50)), 400).state).toBe('connecting');
  });

  it('is live once frames arrive', () => {
    const state = after(open(50), frame(100));
    expect(statusOf(state, 120)).toEqual({ state: 'live', text: 'Live' });
    expect(isReceiving(state, 120)).toBe(true);
  });

  it('names the services missing from the frames for OUTAGE_AFTER_MS', () => {
    expect(statusOf(after(open(0), frame(10, 'minutes'), frame(510, 'minutes')), 520)).toEqual({
      state: 'degraded',
      text: 'Degraded: minutes not answering',
    });
    expect(statusOf(after(open(0), frame(10, 'hours', 'seconds'), frame(600, 'hours', 'seconds')), 600).text).toBe(
      'Degraded: hours and seconds not answering',
    );
    expect(statusOf(after(open(0), frame(10, 'current-time'), frame(510, 'current-time')), 520).text).toBe(
      'Degraded: current-time not answering',
    );
  });

  it('is live again from the first frame that names no one', () => {
    const state = after(open(0), frame(10, 'minutes'), frame(510, 'minutes'), frame(560));
    expect(statusOf(state, 570).state).toBe('live');
    expect(state.degraded).toEqual([]);
    expect(state.outage).toEqual([]);
  });

  it('stalls after a second without frames, and counts the silence', () => {
    const state = after(open(0), frame(100));
    expect(statusOf(state, 1_100).state).toBe('live');
    expect(statusOf(state, 1_101)).toEqual({ state: 'stalled', text: 'No frames for 1 s' });
    expect(statusOf(state, 3_600)).toEqual({ state: 'stalled', text: 'No frames for 3 s' });
    expect(isReceiving(state, 1_101)).toBe(false);
  });

  it('stalls on a socket that opened but never sent a frame', () => {
    expect(statusOf(after(open(0)), 2_500)).toEqual({ state: 'stalled', text: 'No frames for 2 s' });
  });

  it('gives up on a socket silent for more than five seconds', () => {
    const state = after(open(0), frame(100));
    expect(shouldGiveUp(state, 5_100)).toBe(false);
    expect(shouldGiveUp(state, 5_101)).toBe(true);
    expect(shouldGiveUp(after(open(0)), 5_001)).toBe(true);
  });

  it('gives up on a socket that takes more than ten seconds to open', () => {
    expect(shouldGiveUp(after(), 10_000)).toBe(false);
    expect(shouldGiveUp(after(), 10_001)).toBe(true);
    expect(shouldGiveUp(after(open(0), closed(1, 9_000, 1)), 60_000)).toBe(false);
  });

  it('is reconnecting, with a countdown, once the socket closes', () => {
    const state = after(open(0), frame(100), closed(2_000, 4_000, 3));
    expect(statusOf(state, 2_000)).toEqual({
      state: 'reconnecting',
      text: 'Reconnecting in 2 s (attempt 3)',
    });
    expect(statusOf(state, 3_500).text).toBe('Reconnecting in 1 s (attempt 3)');
    expect(statusOf(state, 4_000).text).toBe('Reconnecting (attempt 3)…');
    expect(isReceiving(state, 2_000)).toBe(false);
  });

  it('stays reconnecting while the next socket opens, and is live on its first frame', () => {
    const lost = after(open(0), frame(100), closed(2_000, 2_300, 1));
    const retrying = reduceConnection(lost, { type: 'connecting', at: 2_300, attempt: 1 });
    expect(statusOf(retrying, 2_400)).toEqual({ state: 'reconnecting', text: 'Reconnecting (attempt 1)…' });
    const back = [open(2_350), frame(2_400)].reduce(reduceConnection, retrying);
    expect(statusOf(back, 2_410).state).toBe('live');
  });

  it('is reconnecting when the very first connection fails', () => {
    const state = after(closed(30, 200, 1));
    expect(statusOf(state, 30).state).toBe('reconnecting');
  });
});

describe('reduceConnection', () => {
  it('ignores frames when no socket is open', () => {
    const state = after(open(0), closed(10, 500, 1));
    expect(reduceConnection(state, frame(20))).toBe(state);
  });

  it('keeps the degraded list across a reconnect, until a frame says otherwise', () => {
    const state = after(open(0), frame(10, 'seconds'), closed(20, 100, 1));
    expect(state.degraded).toEqual(['seconds']);
  });

  it('keeps the same degraded array while it does not change', () => {
    const first = after(open(0), frame(10, 'minutes'));
    const second = reduceConnection(first, frame(60, 'minutes'));
    expect(second.degraded).toBe(first.degraded);
  });

  it('measures how long the socket has delivered frames', () => {
    const state = after(open(0), frame(1_000), frame(9_000));
    expect(liveFor(state, 11_000)).toBe(10_000);
    expect(liveFor(after(open(0)), 11_000)).toBe(0);
  });
});

describe('listNames', () => {
  it('joins names as a sentence would', () => {
    expect(listNames([])).toBe('');
    expect(listNames(['minutes'])).toBe('minutes');
    expect(listNames(['hours', 'minutes'])).toBe('hours and minutes');
    expect(listNames(['hours', 'minutes', 'seconds'])).toBe('hours, minutes and seconds');
  });
});

describe('the badge rule', () => {
  /** Frames every 50 ms (the funnel's 20 Hz) from `from` to `to`, each missing `names`. */
  const frames = (from: number, to: number, ...names: string[]): ConnectionEvent[] => {
    const events: ConnectionEvent[] = [];
    for (let at = from; at <= to; at += 50) events.push(frame(at, ...names));
    return events;
  };

  it('takes one frame missing a service for a blip, not an outage', () => {
    const state = after(open(0), ...frames(0, 200), frame(250, 'current-time'), ...frames(300, 1_000));
    expect(state.outage).toEqual([]);
    expect(statusOf(after(open(0), frame(10, 'current-time')), 20).state).toBe('live');
  });

  it('shows degraded once the same service is missing for OUTAGE_AFTER_MS, not a frame sooner', () => {
    const before = after(open(0), ...frames(100, 100 + OUTAGE_AFTER_MS - 50, 'minutes'));
    expect(statusOf(before, 600).state).toBe('live');
    const outage = reduceConnection(before, frame(100 + OUTAGE_AFTER_MS, 'minutes'));
    expect(statusOf(outage, 600)).toEqual({ state: 'degraded', text: 'Degraded: minutes not answering' });
  });

  it('starts the count again when a frame has the service back in between', () => {
    const state = after(open(0), ...frames(0, 400, 'hours'), frame(450), ...frames(500, 800, 'hours'));
    expect(state.outage).toEqual([]);
  });

  it('counts each service on its own', () => {
    const state = after(open(0), ...frames(0, 300, 'hours'), ...frames(350, 600, 'hours', 'seconds'));
    expect(state.outage).toEqual(['hours']);
    expect(state.degraded).toEqual(['hours', 'seconds']);
  });

  it('recovers at once and stays recovered: one frame back clears the badge', () => {
    const down = after(open(0), ...frames(0, 600, 'minutes'));
    expect(down.outage).toEqual(['minutes']);
    const back = reduceConnection(down, frame(650));
    expect(back.outage).toEqual([]);
    expect(statusOf(back, 650).state).toBe('live');
    // A single miss after recovery is a blip again.
    expect(reduceConnection(back, frame(700, 'minutes')).outage).toEqual([]);
  });

  it('forgets what the old socket missed when a new one connects', () => {
    const down = after(open(0), ...frames(0, 600, 'minutes'));
    const again = after(
      open(0),
      ...frames(0, 600, 'minutes'),
      closed(650, 900, 1),
      { type: 'connecting', at: 900, attempt: 1 },
      open(950),
      frame(1_000, 'minutes'),
    );
    expect(down.outage).toEqual(['minutes']);
    expect(again.outage).toEqual([]);
  });

  it('keeps the same outage array while nothing changes', () => {
    const down = after(open(0), ...frames(0, 600, 'minutes'));
    expect(reduceConnection(down, frame(650, 'minutes')).outage).toBe(down.outage);
    expect(trackOutages({ missingSince: {}, outage: [] }, ['a'], 0)).toEqual({ missingSince: { a: 0 }, outage: [] });
  });
});
