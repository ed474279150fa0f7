/**
 * The services' own time: each complete frame gives the zone's UTC offset as
 * the services computed it (its wall-clock fields against its `unix_ms`), and
 * the clock draws the synced server instant shifted by that offset, so the
 * digits and the date are the services' even where the browser's zone rules
 * (`Intl`) differ. Pure: frames and instants are handed in.
 */

import { formatUtcOffset, zoneClock, type ClockFields } from '../shared/format';

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The widest offset any zone has: ±14 h. */
const MAX_OFFSET_MS = 14 * HOUR_MS;

/** The wall-clock fields and instant of a frame, each null when its service did not answer. */
export interface FrameTime {
  readonly hours: number | null;
  readonly minutes: number | null;
  readonly seconds: number | null;
  readonly milliseconds: number | null;
  readonly unixMs: number | null;
}

/**
 * The zone's offset from UTC the frame shows, ms, in (−14 h, +14 h]: its
 * fields as ms of the day minus `unix_ms` mod a day, wrapped across midnight
 * either way. A frame has no date, so −11 h and +13 h read alike: the one
 * nearer `hintMs` (the browser's offset for the zone) is taken. Null when any
 * field or the instant is missing.
 */
export function frameOffsetMs(frame: FrameTime, hintMs = 0): number | null {
  const { hours, minutes, seconds, milliseconds, unixMs } = frame;
  if (hours === null || minutes === null || seconds === null || milliseconds === null || unixMs === null) {
    return null;
  }
  const wall = hours * HOUR_MS + minutes * MINUTE_MS + seconds * SECOND_MS + milliseconds;
  return normaliseOffset(wall - mod(unixMs, DAY_MS), hintMs);
}

/** `offsetMs` moved by whole days into (−14 h, +14 h], nearest `hintMs` where two days fit. */
export function normaliseOffset(offsetMs: number, hintMs = 0): number {
  const later = mod(offsetMs, DAY_MS); // in [0, 24 h)
  const earlier = later - DAY_MS; // in [−24 h, 0)
  if (later > MAX_OFFSET_MS) return earlier;
  if (earlier <= -MAX_OFFSET_MS) return later;
  return Math.abs(later - hintMs) <= Math.abs(earlier - hintMs) ? later : earlier;
}

/** The wall-clock fields at `unixMs` in a zone `offsetMs` from UTC: plain arithmetic on the shifted instant. */
export function fieldsAtOffset(unixMs: number, offsetMs: number): ClockFields {
  const ofDay = mod(Math.floor(unixMs + offsetMs), DAY_MS);
  return {
    hours: Math.floor(ofDay / HOUR_MS),
    minutes: Math.floor(ofDay / MINUTE_MS) % 60,
    seconds: Math.floor(ofDay / SECOND_MS) % 60,
    milliseconds: ofDay % SECOND_MS,
  };
}

/**
 * The sentence shown under the clock when the services' offset for `zone`
 * is not the browser's (`intlOffsetMs`), or null when they agree.
 */
export function disagreementNotice(zone: string, serviceOffsetMs: number, intlOffsetMs: number | null): string | null {
  if (intlOffsetMs === null || sameMinute(serviceOffsetMs, intlOffsetMs)) return null;
  return (
    `The services say ${formatUtcOffset(serviceOffsetMs)} for ${zone}; ` +
    `this browser’s rules say ${formatUtcOffset(intlOffsetMs)}. Showing the services’ time.`
  );
}

/** Offsets shown to the minute: a few ms between the fields' reads is not a disagreement. */
function sameMinute(a: number, b: number): boolean {
  return Math.round(a / MINUTE_MS) === Math.round(b / MINUTE_MS);
}

/** The latest offset the frames of one zone gave. */
export interface ZoneOffset {
  readonly zone: string;
  readonly offsetMs: number;
}

/**
 * Remembers the offset of the latest complete frame, for the zone it was
 * for; a frame with a missing field leaves it as it was.
 */
export class ServiceTime {
  private latest: ZoneOffset | null = null;

  /** Notes a frame of `zone`; true when the offset (or its zone) changed. */
  note(zone: string, frame: FrameTime): boolean {
    const hint = frame.unixMs === null ? 0 : (zoneClock(zone)?.offsetAt(frame.unixMs) ?? 0);
    const offsetMs = frameOffsetMs(frame, hint);
    if (offsetMs === null) return false;
    if (this.latest?.zone === zone && this.latest.offsetMs === offsetMs) return false;
    this.latest = { zone, offsetMs };
    return true;
  }

  /** The services' offset for `zone`, or null before a complete frame for it. */
  offsetFor(zone: string): number | null {
    return this.latest?.zone === zone ? this.latest.offsetMs : null;
  }

  /** The latest offset and its zone, or null. */
  current(): ZoneOffset | null {
    return this.latest;
  }
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}
