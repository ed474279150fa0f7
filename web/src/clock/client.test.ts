// The client against a fake socket and fake timers: sync bursts, status, reconnects, zone switches.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BURST_GRACE_MS,
  BURST_SIZE,
  ClockClient,
  PING_SPACING_MS,
  RESYNC_EVERY_MS,
  RESYNC_SOON_MS,
  type Socket,
  type SocketHandlers,
} from './client';
import { OUTAGE_AFTER_MS } from './connection';

/** A socket the test opens, feeds and inspects by hand. */
class FakeSocket implements Socket {
  readonly sent: unknown[] = [];
  closed = false;
  constructor(
    readonly url: string,
    readonly handlers: SocketHandlers,
  ) {}
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(): void {
    this.closed = true;
  }
  pings(): number[] {
    return this.sent.flatMap((message) => (isPing(message) ? [message.ping] : []));
  }
  frame(tz: string, degraded?: string[]): void {
    this.handlers.onMessage(JSON.stringify({ time: '00:00:00.000', tz, seq: 1, ...(degraded && { degraded }) }));
  }

  /** A frame built from the server's instant `unixMs`. */
  frameAt(tz: string, unixMs: number): void {
    this.handlers.onMessage(JSON.stringify({ time: '00:00:00.000', tz, seq: 1, unix_ms: Math.floor(unixMs) }));
  }
}

/** Opens `socket` and has it deliver a frame every 50 ms, as the funnel does. */
function openAndStream(socket: FakeSocket, tz = 'Europe/Paris'): void {
  socket.handlers.onOpen();
  socket.frame(tz);
  const stream = setInterval(() => (socket.closed ? clearInterval(stream) : socket.frame(tz)), 50);
}

function isPing(message: unknown): message is { ping: number } {
  return typeof message === 'object' && message !== null && 'ping' in message;
}

const SERVER_AHEAD_MS = 1234.5;
const ONE_WAY_MS = 2;

let sockets: FakeSocket[];
let client: ClockClient;

/** The client timeline: the faked Date.now() plus a sub-microsecond fraction, as performance.now() may give. */
const now = () => Date.now() + 0.2504567;

function makeClient(zone = 'Europe/Paris', random = () => 0.5): ClockClient {
  return new ClockClient(
    {
      openSocket: (url, handlers) => {
        const socket = new FakeSocket(url, handlers);
        sockets.push(socket);
        return socket;
      },
      socketUrl: (tz) => `ws://clock.test/ws?tz=${encodeURIComponent(tz)}`,
      now,
      wallNow: () => Date.now() - 3_000, // the device runs 3 s behind the client timeline
      fallbackZone: 'Europe/Paris',
      random,
      goodAccuracyMs: 3, // the usual ± 2 ms bursts here are good enough
    },
    zone,
  );
}

const latest = () => sockets[sockets.length - 1]!;

/**
 * Answers each ping of a burst as it is sent: ONE_WAY_MS to reach a server
 * SERVER_AHEAD_MS ahead, ONE_WAY_MS back.
 */
function syncBurst(
  socket: FakeSocket,
  serverKnowsTime = true,
  aheadMs = SERVER_AHEAD_MS,
  oneWayMs = ONE_WAY_MS,
): void {
  for (let i = 0; i < BURST_SIZE; i++) {
    const t0 = socket.pings().at(-1)!;
    vi.advanceTimersByTime(oneWayMs);
    const t1 = now() + aheadMs;
    vi.advanceTimersByTime(oneWayMs);
    const times = serverKnowsTime ? { received: t1, sent: t1 } : { received: null, sent: null };
    socket.handlers.onMessage(JSON.stringify({ pong: t0, ...times }));
    vi.advanceTimersByTime(PING_SPACING_MS - 2 * oneWayMs);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-06-01T12:00:00Z') });
  sockets = [];
  client = makeClient();
});

afterEach(() => {
  client.stop();
  vi.useRealTimers();
});

describe('ClockClient', () => {
  it('opens /ws with the zone and is connecting until the first frame', () => {
    client.start();
    expect(latest().url).toBe('ws://clock.test/ws?tz=Europe%2FParis');
    expect(client.getSnapshot().status.state).toBe('connecting');
    latest().handlers.onOpen();
    latest().frame('Europe/Paris');
    expect(client.getSnapshot().status).toEqual({ state: 'live', text: 'Live' });
    expect(client.getSnapshot().receiving).toBe(true);
  });

  it('sends a burst of pings on open, spaced out, and estimates the offset from the pongs', () => {
    client.start();
    latest().handlers.onOpen();
    expect(latest().pings()).toHaveLength(1);
    vi.advanceTimersByTime(PING_SPACING_MS * (BURST_SIZE - 1));
    const pings = latest().pings();
    expect(pings).toHaveLength(BURST_SIZE);
    expect(pings[1]! - pings[0]!).toBeCloseTo(PING_SPACING_MS, 6);
  });

  it('estimates the offset from the pongs', () => {
    client.start();
    latest().handlers.onOpen();
    expect(client.serverNow()).toBeNull();
    syncBurst(latest());
    const report = client.syncReport();
    expect(report.samples).toBe(BURST_SIZE);
    // Symmetric 2 ms + 2 ms trips: the estimate is exact, within ± δ/2 = 2 ms.
    // (t0 goes out rounded to the microsecond, hence 3 decimals.)
    expect(report.offsetMs).toBeCloseTo(SERVER_AHEAD_MS, 3);
    expect(report.accuracyMs).toBeCloseTo(ONE_WAY_MS, 3);
    expect(client.serverNow()! - now()).toBeCloseTo(SERVER_AHEAD_MS, 3);
    expect(client.getSnapshot().sync?.offsetMs).toBeCloseTo(SERVER_AHEAD_MS, 3);
    // The device clock is 3 s behind the client timeline, which is 1234.5 ms behind the server.
    expect(report.deviceOffsetMs).toBeCloseTo(-3_000 - SERVER_AHEAD_MS - 0.2504567 + 0.5, 3);
  });

  it('measures again at once when frames show the server clock was stepped', () => {
    client.start();
    const socket = latest();
    openAndStream(socket);
    syncBurst(socket);
    vi.advanceTimersByTime(6_000); // past the shortest gap between bursts
    const pings = socket.pings().length;
    socket.frameAt('Europe/Paris', now() + SERVER_AHEAD_MS - 30); // a frame read 30 ms ago
    expect(socket.pings()).toHaveLength(pings);
    const STEPPED = SERVER_AHEAD_MS + 10_000;
    socket.frameAt('Europe/Paris', now() + STEPPED - 30);
    expect(socket.pings()).toHaveLength(pings + 1);
    syncBurst(socket, true, STEPPED);
    expect(client.syncReport().offsetMs).toBeCloseTo(STEPPED, 3);
    socket.frameAt('Europe/Paris', now() + STEPPED - 30);
    expect(socket.pings()).toHaveLength(pings + BURST_SIZE);
  });

  it('follows a poor burst with up to three more, a few seconds apart', () => {
    client.start();
    const socket = latest();
    openAndStream(socket);
    syncBurst(socket, true, SERVER_AHEAD_MS, 5); // ± 5 ms: not good enough
    for (let extra = 1; extra <= 3; extra += 1) {
      // The burst ends BURST_GRACE_MS after its last ping (sent a spacing ago).
      vi.advanceTimersByTime(BURST_GRACE_MS + RESYNC_SOON_MS - PING_SPACING_MS);
      expect(socket.pings()).toHaveLength(BURST_SIZE * extra + 1);
      syncBurst(socket, true, SERVER_AHEAD_MS, 5);
    }
    vi.advanceTimersByTime(30_000);
    expect(socket.pings()).toHaveLength(BURST_SIZE * 4); // until the minute's re-sync
  });

  it('follows a burst whose last pong shows a stepped clock with another', () => {
    client.start();
    const socket = latest();
    openAndStream(socket);
    for (let i = 0; i < BURST_SIZE; i++) {
      const t0 = socket.pings().at(-1)!;
      vi.advanceTimersByTime(ONE_WAY_MS);
      const ahead = i === BURST_SIZE - 1 ? SERVER_AHEAD_MS + 20 : SERVER_AHEAD_MS;
      const t1 = now() + ahead;
      vi.advanceTimersByTime(ONE_WAY_MS);
      socket.handlers.onMessage(JSON.stringify({ pong: t0, received: t1, sent: t1 }));
      vi.advanceTimersByTime(PING_SPACING_MS - 2 * ONE_WAY_MS);
    }
    expect(client.syncReport().samples).toBe(1); // the step dropped the seven before it
    expect(client.syncReport().exchanges).toBe(BURST_SIZE); // but all eight were used
    vi.advanceTimersByTime(BURST_GRACE_MS + RESYNC_SOON_MS - PING_SPACING_MS);
    expect(socket.pings()).toHaveLength(BURST_SIZE + 1);
    syncBurst(socket, true, SERVER_AHEAD_MS + 20);
    expect(client.syncReport().samples).toBe(BURST_SIZE + 1);
    expect(client.syncReport().exchanges).toBe(2 * BURST_SIZE);
  });

  it('sends no extra burst after a good one', () => {
    client.start();
    const socket = latest();
    openAndStream(socket);
    syncBurst(socket); // ± 2 ms, good enough here
    vi.advanceTimersByTime(30_000);
    expect(socket.pings()).toHaveLength(BURST_SIZE);
  });

  it('discards pongs from a server that does not know its time, and tries again later', () => {
    client.start();
    openAndStream(latest());
    syncBurst(latest(), false);
    expect(client.syncReport()).toMatchObject({ offsetMs: null, samples: 0 });
    vi.advanceTimersByTime(5_000);
    expect(sockets).toHaveLength(1);
    expect(latest().pings().length).toBeGreaterThan(BURST_SIZE); // a new burst began
  });

  it('sends t0 in whole microseconds and accepts an echo a float parser got slightly wrong', () => {
    client.start();
    openAndStream(latest());
    const t0 = latest().pings()[0]!;
    expect(Math.floor(t0 * 1000) / 1000).toBe(t0);
    // One unit in the last place off, as serde_json's fast float parser may return it.
    const echoed = t0 + 2 ** -12;
    expect(echoed).not.toBe(t0);
    latest().handlers.onMessage(JSON.stringify({ pong: echoed, received: t0 + 1, sent: t0 + 1 }));
    expect(client.syncReport().samples).toBe(1);
  });

  it('ignores pongs to pings it did not send', () => {
    client.start();
    latest().handlers.onOpen();
    latest().handlers.onMessage(JSON.stringify({ pong: 42, received: 1, sent: 1 }));
    expect(client.syncReport().samples).toBe(0);
  });

  it('re-syncs every minute', () => {
    client.start();
    openAndStream(latest());
    syncBurst(latest());
    // A burst that yielded samples is not repeated before the minute is up...
    vi.advanceTimersByTime(RESYNC_EVERY_MS - PING_SPACING_MS * BURST_SIZE - 1);
    expect(latest().pings()).toHaveLength(BURST_SIZE);
    // ...and then it is.
    vi.advanceTimersByTime(1);
    expect(latest().pings()).toHaveLength(BURST_SIZE + 1);
    expect(sockets).toHaveLength(1);
  });

  it('re-syncs on request, but not during or just after a burst', () => {
    client.start();
    openAndStream(latest());
    client.resync();
    expect(latest().pings()).toHaveLength(1);
    syncBurst(latest());
    vi.advanceTimersByTime(5_000);
    client.resync();
    expect(latest().pings()).toHaveLength(BURST_SIZE + 1);
  });

  it('shows which services are down, from the frames', () => {
    client.start();
    latest().handlers.onOpen();
    latest().frame('Europe/Paris', ['minutes']);
    // One frame: its digits are missing, but the badge waits for a real outage.
    expect([...client.hiddenFields()]).toEqual(['minutes']);
    expect(client.getSnapshot().status.state).toBe('live');
    vi.advanceTimersByTime(OUTAGE_AFTER_MS);
    latest().frame('Europe/Paris', ['minutes']);
    expect(client.getSnapshot().status).toEqual({ state: 'degraded', text: 'Degraded: minutes not answering' });
    expect(client.getSnapshot().outage).toEqual(['minutes']);
    latest().frame('Europe/Paris');
    expect(client.getSnapshot().status.state).toBe('live');
    expect(client.hiddenFields().size).toBe(0);
  });

  it('reports a stall, then replaces a socket silent for over five seconds', () => {
    client.start();
    const first = latest();
    first.handlers.onOpen();
    first.frame('Europe/Paris');
    vi.advanceTimersByTime(1_250);
    expect(client.getSnapshot().status).toEqual({ state: 'stalled', text: 'No frames for 1 s' });
    expect(client.getSnapshot().receiving).toBe(false);
    vi.advanceTimersByTime(4_000);
    expect(first.closed).toBe(true);
    expect(client.getSnapshot().status.state).toBe('reconnecting');
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(2);
  });

  it('reconnects with growing delays, counting the attempts, and the zone in the address', () => {
    client = makeClient('Europe/Paris', () => 0.999);
    client.start();
    latest().handlers.onClose();
    expect(client.getSnapshot().status).toEqual({ state: 'reconnecting', text: 'Reconnecting in 1 s (attempt 1)' });
    vi.advanceTimersByTime(250);
    expect(sockets).toHaveLength(2);
    latest().handlers.onClose();
    vi.advanceTimersByTime(400);
    expect(sockets).toHaveLength(2); // the second retry waits up to 500 ms
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(3);
    latest().handlers.onClose();
    expect(client.getSnapshot().status.text).toBe('Reconnecting in 1 s (attempt 3)');
    vi.advanceTimersByTime(1_000);
    expect(latest().url).toBe('ws://clock.test/ws?tz=Europe%2FParis');
    expect(client.getSnapshot().status.state).toBe('reconnecting');
    latest().handlers.onOpen();
    latest().frame('Europe/Paris');
    expect(client.getSnapshot().status.state).toBe('live');
  });

  it('ignores a closed socket that speaks again', () => {
    client.start();
    const first = latest();
    first.handlers.onOpen();
    first.handlers.onClose();
    first.frame('Asia/Tokyo');
    expect(client.getSnapshot().status.state).toBe('reconnecting');
    expect(client.getSnapshot().zone).toBe('Europe/Paris');
  });

  it('switches zones on the open socket, ignoring frames of the zone it leaves', () => {
    client.start();
    const socket = latest();
    socket.handlers.onOpen();
    socket.frame('Europe/Paris');
    client.setZone('Asia/Tokyo');
    expect(socket.sent).toContainEqual({ tz: 'Asia/Tokyo' });
    expect(client.getSnapshot().zone).toBe('Asia/Tokyo');
    socket.frame('Europe/Paris'); // already on its way
    expect(client.getSnapshot().zone).toBe('Asia/Tokyo');
    socket.frame('Asia/Tokyo');
    expect(client.getSnapshot().zone).toBe('Asia/Tokyo');
    expect(sockets).toHaveLength(1);
  });

  it('ignores frames of every zone left when switching twice before the first is confirmed', () => {
    client.start();
    const socket = latest();
    socket.handlers.onOpen();
    socket.frame('Europe/Paris');
    client.setZone('Asia/Tokyo');
    client.setZone('America/New_York');
    socket.frame('Europe/Paris'); // sent before either switch arrived
    expect(client.getSnapshot().zone).toBe('America/New_York');
    socket.frame('Asia/Tokyo'); // sent between the two switches
    expect(client.getSnapshot().zone).toBe('America/New_York');
    socket.frame('America/New_York');
    expect(client.getSnapshot().zone).toBe('America/New_York');
    socket.frame('Europe/Paris'); // confirmed: nothing is being left any more
    expect(client.getSnapshot().zone).toBe('Europe/Paris');
  });

  it('takes the server’s canonical name for the zone', () => {
    client = makeClient('Asia/Calcutta');
    client.start();
    latest().handlers.onOpen();
    latest().frame('Asia/Kolkata');
    expect(client.getSnapshot().zone).toBe('Asia/Kolkata');
  });

  it('goes back to the previous zone when the server refuses a switch', () => {
    client.start();
    const socket = latest();
    socket.handlers.onOpen();
    socket.frame('Europe/Paris');
    client.setZone('America/Nuuk');
    socket.handlers.onMessage(JSON.stringify({ error: "unknown time zone 'America/Nuuk' (...)" }));
    expect(client.getSnapshot().zone).toBe('Europe/Paris');
    expect(client.getSnapshot().notice).toContain("unknown time zone 'America/Nuuk'");
  });

  it('asks for the fallback zone when the server refuses the first one', () => {
    client = makeClient('America/Nuuk');
    client.start();
    const socket = latest();
    socket.handlers.onOpen();
    socket.handlers.onMessage(JSON.stringify({ error: "unknown time zone 'America/Nuuk' (...)" }));
    expect(socket.sent).toContainEqual({ tz: 'Europe/Paris' });
    expect(client.getSnapshot().zone).toBe('Europe/Paris');
  });

  it('asks a socket that was opening for the zone chosen meanwhile', () => {
    client.start();
    client.setZone('Asia/Tokyo');
    latest().handlers.onOpen();
    expect(latest().sent).toContainEqual({ tz: 'Asia/Tokyo' });
  });

  it('closes its socket and stops retrying when stopped', () => {
    client.start();
    const socket = latest();
    client.stop();
    expect(socket.closed).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });
});
