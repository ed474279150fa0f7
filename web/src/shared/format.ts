/**
 * Time-zone arithmetic and clock text. A zone's UTC offset comes from Intl
 * (one formatter per zone, asked at most once per minute); the digits of each
 * animation frame are plain arithmetic on top of it.
 */

import { LruCache } from './lru';

export type FieldName = 'hours' | 'minutes' | 'seconds' | 'milliseconds';

export const FIELDS: readonly FieldName[] = ['hours', 'minutes', 'seconds', 'milliseconds'];

export interface ClockFields {
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly milliseconds: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A formatter that breaks an instant into the zone's wall-clock fields. */
function partsFormatter(zone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

/** The zone's offset from UTC at `epochMs`, in ms (whole seconds). */
function offsetFromIntl(formatter: Intl.DateTimeFormat, epochMs: number): number {
  const whole = Math.floor(epochMs / 1000) * 1000;
  const field: Record<string, number> = {};
  for (const part of formatter.formatToParts(whole)) {
    if (part.type !== 'literal') field[part.type] = Number(part.value);
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = field;
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, 0);
  return wall.getTime() - whole;
}

/**
 * The wall clock of one zone. Offsets change only at transitions, and these
 * fall on whole UTC minutes, so the offset is asked of Intl once per minute
 * and a DST change shows from its first millisecond.
 */
export class ZoneClock {
  readonly zone: string;
  private readonly formatter: Intl.DateTimeFormat;
  private cachedMinute = Number.NaN;
  private cachedOffset = 0;

  /** Throws a RangeError for a zone Intl does not know. */
  constructor(zone: string) {
    this.zone = zone;
    this.formatter = partsFormatter(zone);
  }

  /** Offset from UTC at `epochMs`, ms. */
  offsetAt(epochMs: number): number {
    const minute = Math.floor(epochMs / MINUTE_MS);
    if (minute !== this.cachedMinute) {
      this.cachedOffset = offsetFromIntl(this.formatter, epochMs);
      this.cachedMinute = minute;
    }
    return this.cachedOffset;
  }

  /** The zone's local time as ms since its local epoch (floored to whole ms). */
  localMs(epochMs: number): number {
    return Math.floor(epochMs + this.offsetAt(epochMs));
  }

  /** Hours, minutes, seconds and milliseconds on the zone's 24-hour clock. */
  fieldsAt(epochMs: number): ClockFields {
    const ofDay = mod(this.localMs(epochMs), DAY_MS);
    return {
      hours: Math.floor(ofDay / HOUR_MS),
      minutes: Math.floor(ofDay / MINUTE_MS) % 60,
      seconds: Math.floor(ofDay / 1000) % 60,
      milliseconds: ofDay % 1000,
    };
  }
}

/** How many zones' formatters are kept: every zone Intl knows (~420) and then some, never every string typed. */
export const ZONE_CACHE_SIZE = 600;

const zoneClocks = new LruCache<string, ZoneClock>(ZONE_CACHE_SIZE);

/** The shared ZoneClock of `zone`, or null when Intl does not know the zone. */
export function zoneClock(zone: string): ZoneClock | null {
  let clock = zoneClocks.get(zone);
  if (clock === undefined) {
    try {
      clock = new ZoneClock(zone);
    } catch {
      return null;
    }
    zoneClocks.set(zone, clock);
  }
  return clock;
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

const NOTHING_HIDDEN: ReadonlySet<FieldName> = new Set();

/**
 * `HH:MM:SS.mmm`, with `--` (or `---`) for each hidden field; every field is
 * hidden when there are no fields at all.
 */
export function formatClock(
  fields: ClockFields | null,
  hidden: ReadonlySet<FieldName> = NOTHING_HIDDEN,
): string {
  const part = (name: FieldName, width: number) =>
    fields === null || hidden.has(name) ? '-'.repeat(width) : pad(fields[name], width);
  return `${part('hours', 2)}:${part('minutes', 2)}:${part('seconds', 2)}.${part('milliseconds', 3)}`;
}

/** The clock shown before anything is known. */
export const UNKNOWN_TIME = formatClock(null);

/** `UTC`, `UTC+09:00`, `UTC−05:00` (a true minus sign), `UTC+05:45`. */
export function formatUtcOffset(offsetMs: number): string {
  const totalMinutes = Math.round(Math.abs(offsetMs) / MINUTE_MS);
  if (totalMinutes === 0) return 'UTC';
  const sign = offsetMs < 0 ? '\u2212' : '+';
  return `UTC${sign}${pad(Math.floor(totalMinutes / 60), 2)}:${pad(totalMinutes % 60, 2)}`;
}

const dateFormatters = new LruCache<string, Intl.DateTimeFormat>(ZONE_CACHE_SIZE);

/** "Monday, 23 November 2026" (word order per `locale`) in the zone. */
export function formatDate(zone: string, epochMs: number, locale?: string): string {
  const key = `${locale ?? ''}|${zone}`;
  let formatter = dateFormatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
    });
    dateFormatters.set(key, formatter);
  }
  return formatter.format(epochMs);
}

/**
 * "Asia/Tokyo · UTC+09:00"; a zone whose name already says its offset is
 * named once: "UTC", not "UTC · UTC" (Etc/UTC, GMT and the like are shown as UTC).
 */
export function formatZoneLabel(zone: string, offsetMs: number): string {
  const offset = formatUtcOffset(offsetMs);
  if (zone === offset || (offset === 'UTC' && UTC_NAMES.has(zone))) return offset;
  return `${zone} · ${offset}`;
}

/** Names of UTC itself (an offset-0 zone such as Europe/London is not one). */
const UTC_NAMES: ReadonlySet<string> = new Set(['UTC', 'Etc/UTC', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Universal',
  'Etc/Zulu', 'Zulu', 'GMT', 'Etc/GMT', 'Etc/GMT0', 'Etc/GMT+0', 'Etc/GMT-0', 'GMT0', 'Etc/Greenwich', 'Greenwich']);

/**
 * The one way a time of day is written on every page: `HH:MM:SS` on the
 * 24-hour clock of `zone` (the clock's own), whatever the locale. A zone
 * Intl does not know is read as UTC.
 */
export function formatTimeOfDay(unixMs: number, zone: string): string {
  const clock = zoneClock(zone) ?? zoneClock('UTC');
  const fields = clock?.fieldsAt(unixMs) ?? null;
  if (fields === null) return '--:--:--';
  return `${pad(fields.hours, 2)}:${pad(fields.minutes, 2)}:${pad(fields.seconds, 2)}`;
}

/** "9 h ahead of", "5 h 30 min behind", "the same as": `offsetMs` compared with `homeOffsetMs`. */
export function describeOffsetDifference(offsetMs: number, homeOffsetMs: number): string {
  const minutes = Math.round((offsetMs - homeOffsetMs) / MINUTE_MS);
  if (minutes === 0) return 'the same as';
  const abs = Math.abs(minutes);
  const hours = Math.floor(abs / 60);
  const rest = abs % 60;
  const amount = [hours > 0 ? `${hours} h` : '', rest > 0 ? `${rest} min` : ''].filter(Boolean).join(' ');
  return `${amount} ${minutes > 0 ? 'ahead of' : 'behind'}`;
}
