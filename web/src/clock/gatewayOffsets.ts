/**
 * The world clock's zone offsets as the services compute them: asked of the
 * gateway (`GET /api/time?tz=`) for each zone shown, again on every hour and
 * just after a change of offset the browser's rules expect before then (a
 * DST change), and after a failed ask, 30 s later. Until a zone's first
 * answer, and while the gateway does not answer, the browser's own rules
 * (`Intl`) stand in, and the snapshot says so. Fetching and timers are injected.
 */

import { zoneClock } from '../shared/format';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** After a failed ask, the next one. */
export const RETRY_MS = 30_000;
/** How long after an expected change of offset the services are asked again. */
export const AFTER_CHANGE_MS = 1_000;

/** Where a zone's offset comes from now: the services, the browser's rules while the services are first asked, or the browser's rules because the services did not answer. */
export type OffsetSource = 'services' | 'asking' | 'browser';

export interface GatewayOffsetsDeps {
  readonly fetchOffset: (zone: string) => Promise<number>;
  /** The server's clock, unix ms. */
  readonly now: () => number;
  readonly setTimeout: (run: () => void, ms: number) => number;
  readonly clearTimeout: (id: number) => void;
}

/**
 * When to ask about `zone` again after `now`: the next whole hour, or just
 * after the browser's rules change its offset, whichever comes first.
 */
export function nextRefreshAt(zone: string, now: number): number {
  const hour = (Math.floor(now / HOUR_MS) + 1) * HOUR_MS;
  const clock = zoneClock(zone);
  if (clock === null || clock.offsetAt(now) === clock.offsetAt(hour)) return hour;
  // Offsets change on whole minutes: find the first minute with the new one.
  let before = Math.floor(now / MINUTE_MS);
  let after = hour / MINUTE_MS;
  const start = clock.offsetAt(now);
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (clock.offsetAt(middle * MINUTE_MS) === start) before = middle;
    else after = middle;
  }
  return after * MINUTE_MS + AFTER_CHANGE_MS;
}

interface Entry {
  /** The services' latest answer, or null before one. */
  offsetMs: number | null;
  /** Whether the latest ask failed (the browser's rules stand in). */
  failed: boolean;
  timer: number | null;
}

export class GatewayOffsets {
  private readonly deps: GatewayOffsetsDeps;
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  private snap: Readonly<Record<string, OffsetSource>> = {};

  constructor(deps: GatewayOffsetsDeps) {
    this.deps = deps;
  }

  /** Follows exactly `zones`: asks about new ones, forgets the rest. */
  setZones(zones: readonly string[]): void {
    for (const [zone, entry] of this.entries) {
      if (!zones.includes(zone)) {
        if (entry.timer !== null) this.deps.clearTimeout(entry.timer);
        this.entries.delete(zone);
      }
    }
    for (const zone of zones) {
      if (!this.entries.has(zone)) {
        this.entries.set(zone, { offsetMs: null, failed: false, timer: null });
        void this.ask(zone);
      }
    }
    this.publish();
  }

  /** Stops every timer and forgets every zone. */
  stop(): void {
    this.setZones([]);
  }

  /** The offset to draw `zone` with at `unixMs` (the services', else the browser's rules), or null. */
  offsetAt(zone: string, unixMs: number): number | null {
    const entry = this.entries.get(zone);
    if (entry !== undefined && entry.offsetMs !== null && !entry.failed) return entry.offsetMs;
    return zoneClock(zone)?.offsetAt(unixMs) ?? null;
  }

  /** For useSyncExternalStore. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Where each zone's offset comes from now. */
  readonly getSnapshot = (): Readonly<Record<string, OffsetSource>> => this.snap;

  private async ask(zone: string): Promise<void> {
    let offsetMs: number | null = null;
    try {
      offsetMs = await this.deps.fetchOffset(zone);
    } catch {
      // The gateway did not answer: the browser's rules stand in, marked.
    }
    const entry = this.entries.get(zone);
    if (entry === undefined) return; // removed meanwhile
    entry.failed = offsetMs === null;
    if (offsetMs !== null) entry.offsetMs = offsetMs;
    const now = this.deps.now();
    const at = offsetMs === null ? now + RETRY_MS : nextRefreshAt(zone, now);
    entry.timer = this.deps.setTimeout(() => void this.ask(zone), Math.max(0, at - now));
    this.publish();
  }

  private publish(): void {
    const next: Record<string, OffsetSource> = {};
    for (const [zone, entry] of this.entries) {
      next[zone] = entry.failed ? 'browser' : entry.offsetMs !== null ? 'services' : 'asking';
    }
    const prev = this.snap;
    const same =
      Object.keys(next).length === Object.keys(prev).length && Object.entries(next).every(([z, s]) => prev[z] === s);
    if (same) return;
    this.snap = next;
    for (const listener of this.listeners) listener();
  }
}
