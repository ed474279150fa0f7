/**
 * The page's link to the funnel: one WebSocket at a time, replaced with
 * backoff when it closes or falls silent; NTP-style sync bursts on every
 * connection and once a minute; zone switches on the open socket. Sockets,
 * clocks and randomness come in through `ClientDeps`, so tests drive it with
 * fakes; the decisions themselves live in the pure modules it calls.
 */

import { Backoff } from '../shared/backoff';
import {
  initialConnection,
  isReceiving,
  liveFor,
  reduceConnection,
  shouldGiveUp,
  statusOf,
  type ConnectionEvent,
  type ConnectionState,
  type Status,
} from './connection';
import type { FieldName } from '../shared/format';
import { hiddenFields, parseServerMessage, pingMessage, zoneMessage, type Frame, type Pong } from './protocol';
import { ServiceTime, type ZoneOffset } from './serviceTime';
import { OffsetEstimator, type SyncEstimate } from './sync';
import { sameZone } from './zones';
import { createStore, type Store } from '../shared/store';

/** What a socket tells its owner. */
export interface SocketHandlers {
  onOpen(): void;
  onMessage(text: string): void;
  /** The socket closed or could not open; called at most once. */
  onClose(): void;
}

/** An open (or opening) socket. After `close()` its handlers are never called again. */
export interface Socket {
  send(text: string): void;
  close(): void;
}

export type OpenSocket = (url: string, handlers: SocketHandlers) => Socket;

export interface ClientDeps {
  readonly openSocket: OpenSocket;
  /** The socket address for a zone. */
  readonly socketUrl: (zone: string) => string;
  /** The client timeline, unix ms, monotonic (performance.timeOrigin + performance.now()). */
  readonly now: () => number;
  /** The device's wall clock, unix ms (Date.now()). */
  readonly wallNow: () => number;
  /** Shown when the server refuses the first zone of a socket. */
  readonly fallbackZone?: string;
  readonly random?: () => number;
  /** The resolution of `now`, ms. */
  readonly resolutionMs?: number;
  /** A burst less accurate than this is followed by another soon (default 1 ms). */
  readonly goodAccuracyMs?: number;
}

/** What the page renders; a new object only when something in it changed. */
export interface ClientSnapshot {
  /** The zone shown: the one asked for, then the server's canonical name for it. */
  readonly zone: string;
  readonly status: Status;
  /** Frames are arriving now, so the clock may be presented as live. */
  readonly receiving: boolean;
  /** Services the latest frame named as down (its fields are shown as `--`). */
  readonly degraded: readonly string[];
  /** Services down for real, by the badge rule (`OUTAGE_AFTER_MS` in connection.ts). */
  readonly outage: readonly string[];
  readonly sync: SyncEstimate | null;
  /** A message for people, e.g. a zone the server refused. */
  readonly notice: string | null;
  /** The zone's offset from UTC by the latest complete frame (`serviceTime.ts`), or null before one. */
  readonly serviceOffset: ZoneOffset | null;
}

/** How the sync stands; the browser tests read it from the sync panel's data attributes. */
export interface SyncReport {
  readonly offsetMs: number | null;
  readonly accuracyMs: number | null;
  /** Samples the estimate draws on now. */
  readonly samples: number;
  /** Pongs used since the client started (a stepped clock drops samples, not these). */
  readonly exchanges: number;
  readonly deviceOffsetMs: number | null;
}

export const BURST_SIZE = 8;
export const PING_SPACING_MS = 50;
export const RESYNC_EVERY_MS = 60_000;
/** How long after its last ping a burst waits for pongs before judging it. */
export const BURST_GRACE_MS = 1_000;
/**
 * A burst whose best sample is not accurate to `goodAccuracyMs` (its pongs
 * came back slowly: a page busy loading, a congested network), or that left
 * fewer than a burst's samples (a step dropped the older ones), is followed by
 * another one RESYNC_SOON_MS after it ends, up to MAX_EXTRA_BURSTS times per
 * connection.
 */
const GOOD_ACCURACY_MS = 1;
export const RESYNC_SOON_MS = 3_000;
const MAX_EXTRA_BURSTS = 3;
/** A burst that yielded no sample (server clock unknown) is retried this soon. */
const EMPTY_BURST_RETRY_MS = 3_000;
/** Pings unanswered this long are forgotten. */
const PING_EXPIRY_MS = 5_000;
/**
 * A frame's instant is read at most a tick and a round trip before it arrives;
 * one this far from the estimate means a clock was stepped (a restarted
 * current-time, a device that slept), so the page measures again at once.
 */
const FRAME_DISAGREES_MS = 1_000;
/** Bursts asked for by resync() are at least this far apart. */
const MIN_RESYNC_GAP_MS = 5_000;
const WATCHDOG_EVERY_MS = 250;
/**
 * Pings carry t0 in whole microseconds: such a number survives any JSON float
 * parser exactly. Pongs are matched to pings within this much all the same,
 * since a parser may still return its t0 a bit off (serde_json does without
 * its float_roundtrip feature).
 */
const T0_MATCH_MS = 0.001;
/** Date.now() floors to whole ms; adding half a ms centres its error on zero. */
const WALL_CLOCK_CENTRE_MS = 0.5;

type Timer = ReturnType<typeof setTimeout>;

export class ClockClient {
  private readonly deps: ClientDeps;
  private readonly estimator: OffsetEstimator;
  private readonly backoff: Backoff;
  private readonly serviceTime = new ServiceTime();
  private readonly store: Store<ClientSnapshot>;

  private conn: ConnectionState;
  private socket: Socket | null = null;
  private started = false;

  /** The zone shown and asked for. */
  private zone: string;
  /** The zone the current socket follows (as asked at connect, then as the server names it). */
  private socketZone: string | null = null;
  /** While switches are unconfirmed: the zones being left (oldest first), whose frames may still arrive. */
  private leaving: string[] = [];
  private notice: string | null;

  private estimate: SyncEstimate | null = null;
  /** t0 of each unanswered ping, as sent. */
  private readonly pending = new Set<number>();
  private burstYielded = false;
  /** Bursts sent soon after a poor one, on this connection. */
  private extraBursts = 0;
  private exchanges = 0;
  private lastBurstAt = Number.NEGATIVE_INFINITY;

  private retryTimer: Timer | undefined;
  private burstTimer: Timer | undefined;
  private resyncTimer: ReturnType<typeof setInterval> | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;

  private hidden: { degraded: readonly string[]; fields: ReadonlySet<FieldName> } | null = null;

  constructor(deps: ClientDeps, zone: string, notice: string | null = null) {
    this.deps = deps;
    this.zone = zone;
    this.notice = notice;
    this.estimator = new OffsetEstimator({ resolutionMs: deps.resolutionMs ?? 0 });
    this.backoff = new Backoff(deps.random ? { random: deps.random } : {});
    this.conn = initialConnection(deps.now());
    this.store = createStore(this.buildSnapshot());
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.watchdog = setInterval(() => this.onWatchdog(), WATCHDOG_EVERY_MS);
    this.connect(0);
  }

  stop(): void {
    this.started = false;
    clearInterval(this.watchdog);
    clearTimeout(this.retryTimer);
    this.dropSocket();
  }

  /** For `useStore` (`shared/store.ts`). */
  readonly subscribe = (listener: () => void): (() => void) => this.store.subscribe(listener);

  readonly getSnapshot = (): ClientSnapshot => this.store.getSnapshot();

  /** The server's clock now, by the best estimate; null before the first sample. */
  serverNow(): number | null {
    return this.serverTimeAt(this.deps.now());
  }

  /** The server's clock at `clientMs` on the client timeline, or null before the first sample. */
  serverTimeAt(clientMs: number): number | null {
    return this.estimate === null ? null : clientMs + this.estimate.offsetMs;
  }

  /** `zone`'s offset from UTC as the services' latest complete frame for it gave, or null. */
  serviceOffsetFor(zone: string): number | null {
    return this.serviceTime.offsetFor(zone);
  }

  /** The clock fields the latest frame could not fill. */
  hiddenFields(): ReadonlySet<FieldName> {
    const { degraded } = this.getSnapshot();
    if (this.hidden?.degraded !== degraded) this.hidden = { degraded, fields: hiddenFields(degraded) };
    return this.hidden.fields;
  }

  /** The device's wall clock minus the server's clock, ms (positive: the device is ahead). */
  deviceOffsetMs(): number | null {
    const server = this.serverNow();
    return server === null ? null : this.deps.wallNow() + WALL_CLOCK_CENTRE_MS - server;
  }

  syncReport(): SyncReport {
    return {
      offsetMs: this.estimate?.offsetMs ?? null,
      accuracyMs: this.estimate?.accuracyMs ?? null,
      samples: this.estimator.sampleCount,
      exchanges: this.exchanges,
      deviceOffsetMs: this.deviceOffsetMs(),
    };
  }

  /** Measures the offset afresh (e.g. when a sleeping tab wakes up), unless a burst is under way. */
  resync(): void {
    if (this.deps.now() - this.lastBurstAt > MIN_RESYNC_GAP_MS) this.startBurst();
  }

  /** Shows `zone` from now on, asking the server to follow it. */
  setZone(zone: string): void {
    if (sameZone(zone, this.zone)) return;
    this.zone = zone;
    this.notice = null;
    if (this.socket !== null && this.conn.socket === 'open') {
      if (this.socketZone !== null) this.leaving.push(this.socketZone);
      this.socketZone = zone;
      this.socket.send(zoneMessage(zone));
    }
    // A socket still opening asked for the old zone; it is told on open.
    this.refresh();
  }

  // --- the socket -----------------------------------------------------------

  private connect(attempt: number): void {
    if (!this.started) return;
    this.dispatch({ type: 'connecting', at: this.deps.now(), attempt });
    this.socketZone = this.zone;
    this.leaving = [];
    const socket = this.deps.openSocket(this.deps.socketUrl(this.zone), {
      onOpen: () => this.socket === socket && this.onOpen(),
      onMessage: (text) => this.socket === socket && this.onMessage(text),
      onClose: () => this.socket === socket && this.onLost(),
    });
    this.socket = socket;
  }

  private onOpen(): void {
    this.dispatch({ type: 'open', at: this.deps.now() });
    if (this.socketZone !== this.zone) {
      // The zone changed while the socket was opening.
      if (this.socketZone !== null) this.leaving.push(this.socketZone);
      this.socketZone = this.zone;
      this.socket?.send(zoneMessage(this.zone));
    }
    this.extraBursts = 0;
    this.startBurst();
    this.resyncTimer = setInterval(() => this.startBurst(), RESYNC_EVERY_MS);
  }

  private onMessage(text: string): void {
    const message = parseServerMessage(text);
    switch (message.kind) {
      case 'frame':
        return this.onFrame(message.frame);
      case 'pong':
        return this.onPong(message.pong);
      case 'error':
        return this.onServerError(message.message);
      case 'invalid':
        return; // nothing the page can act on
    }
  }

  /** The socket closed, failed to open, or was given up on. */
  private onLost(): void {
    const now = this.deps.now();
    const retry = this.backoff.next(liveFor(this.conn, now));
    this.dropSocket();
    this.dispatch({ type: 'closed', at: now, retryAt: now + retry.delayMs, attempt: retry.attempt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(retry.attempt), retry.delayMs);
  }

  private dropSocket(): void {
    clearTimeout(this.burstTimer);
    clearInterval(this.resyncTimer);
    this.pending.clear();
    const socket = this.socket;
    this.socket = null;
    socket?.close();
  }

  private onWatchdog(): void {
    if (this.socket !== null && shouldGiveUp(this.conn, this.deps.now())) {
      this.onLost();
      return;
    }
    this.refresh(); // the status changes with time alone ("No frames for 3 s")
  }

  // --- frames and zones -----------------------------------------------------

  private onFrame(frame: Frame): void {
    this.conn = reduceConnection(this.conn, { type: 'frame', at: this.deps.now(), degraded: frame.degraded });
    const stale =
      !sameZone(frame.tz, this.zone) && this.leaving.some((left) => sameZone(frame.tz, left));
    if (!stale) {
      // The server follows the zone asked for, and names it canonically.
      this.leaving = [];
      this.socketZone = frame.tz;
      this.zone = frame.tz;
      this.serviceTime.note(frame.tz, frame);
    }
    const serverNow = this.serverNow();
    if (frame.unixMs !== null && serverNow !== null && Math.abs(serverNow - frame.unixMs) > FRAME_DISAGREES_MS) {
      this.resync();
    }
    this.refresh();
  }

  private onServerError(message: string): void {
    this.notice = `The server said: ${message}`;
    const left = this.leaving.pop();
    if (left !== undefined) {
      // A switch was refused; the server still follows the zone asked for before it.
      this.zone = left;
      this.socketZone = left;
    } else if (this.conn.lastFrameAt === null) {
      // The socket's first zone was refused, so it follows none: ask for another.
      const fallback = this.deps.fallbackZone ?? 'UTC';
      this.zone = sameZone(this.zone, fallback) ? 'UTC' : fallback;
      this.socketZone = this.zone;
      this.socket?.send(zoneMessage(this.zone));
    }
    this.refresh();
  }

  // --- clock sync -----------------------------------------------------------

  /** Sends a burst of pings, one every PING_SPACING_MS. */
  private startBurst(): void {
    if (this.socket === null || this.conn.socket !== 'open') return;
    clearTimeout(this.burstTimer);
    this.estimator.beginBurst();
    this.estimate = this.estimator.estimate(); // old bursts may have aged out
    this.burstYielded = false;
    const now = this.deps.now();
    this.lastBurstAt = now;
    for (const t0 of this.pending) if (now - t0 > PING_EXPIRY_MS) this.pending.delete(t0);
    this.sendPing(BURST_SIZE);
  }

  private sendPing(remaining: number): void {
    const socket = this.socket;
    if (socket === null) return;
    const t0 = Math.floor(this.deps.now() * 1000) / 1000; // never later than the send
    this.pending.add(t0);
    socket.send(pingMessage(t0));
    this.burstTimer =
      remaining > 1
        ? setTimeout(() => this.sendPing(remaining - 1), PING_SPACING_MS)
        : setTimeout(() => this.endBurst(), BURST_GRACE_MS);
  }

  private endBurst(): void {
    if (!this.burstYielded) {
      // The server could not say its time (current-time never answered yet).
      this.burstTimer = setTimeout(() => this.startBurst(), EMPTY_BURST_RETRY_MS);
      return;
    }
    const accuracy = this.estimate?.accuracyMs ?? Number.POSITIVE_INFINITY;
    const good = this.deps.goodAccuracyMs ?? GOOD_ACCURACY_MS;
    // A step seen mid-burst drops the samples before it: measure again.
    const thin = (this.estimate?.samples ?? 0) < BURST_SIZE;
    if ((accuracy > good || thin) && this.extraBursts < MAX_EXTRA_BURSTS) {
      this.extraBursts += 1;
      this.burstTimer = setTimeout(() => this.startBurst(), RESYNC_SOON_MS);
    }
  }

  private onPong(pong: Pong): void {
    const t3 = this.deps.now();
    const t0 = this.takePending(pong.t0);
    if (t0 === null) return; // not a ping of ours, or expired
    if (this.estimator.add({ t0, t1: pong.t1, t2: pong.t2, t3 }) === null) return;
    this.exchanges += 1;
    this.burstYielded = true;
    this.estimate = this.estimator.estimate();
    this.refresh();
  }

  /** The unanswered ping whose t0 `echoed` is, removed from the pending ones. */
  private takePending(echoed: number): number | null {
    for (const t0 of this.pending) {
      if (Math.abs(t0 - echoed) <= T0_MATCH_MS) {
        this.pending.delete(t0);
        return t0;
      }
    }
    return null;
  }

  // --- state and snapshot ---------------------------------------------------

  private dispatch(event: ConnectionEvent): void {
    this.conn = reduceConnection(this.conn, event);
    this.refresh();
  }

  private buildSnapshot(): ClientSnapshot {
    const now = this.deps.now();
    return {
      zone: this.zone,
      status: statusOf(this.conn, now),
      receiving: isReceiving(this.conn, now),
      degraded: this.conn.degraded,
      outage: this.conn.outage,
      sync: this.estimate,
      notice: this.notice,
      serviceOffset: this.serviceTime.current(),
    };
  }

  /** Publishes a new snapshot if anything people can see has changed. */
  private refresh(): void {
    const next = this.buildSnapshot();
    const prev = this.getSnapshot();
    const changed =
      next.zone !== prev.zone ||
      next.status.state !== prev.status.state ||
      next.status.text !== prev.status.text ||
      next.receiving !== prev.receiving ||
      next.degraded !== prev.degraded ||
      next.outage !== prev.outage ||
      next.sync !== prev.sync ||
      next.notice !== prev.notice ||
      next.serviceOffset !== prev.serviceOffset;
    if (!changed) return;
    this.store.set(next);
  }
}
