// Clock text in real zones: offsets of every sign and size, DST both ways, midnight, flooring.
import { describe, expect, it } from 'vitest';
import {
  UNKNOWN_TIME,
  ZoneClock,
  describeOffsetDifference,
  formatClock,
  formatDate,
  formatUtcOffset,
  formatTimeOfDay,
  formatZoneLabel,
  zoneClock,
  type FieldName,
} from './format';

const at = (iso: string) => Date.parse(iso);

/** HH:MM:SS.mmm of `epochMs` in `zone`, through one fresh ZoneClock. */
function clockText(zone: string, epochMs: number): string {
  return formatClock(new ZoneClock(zone).fieldsAt(epochMs));
}

describe('ZoneClock', () => {
  it('shows UTC as is', () => {
    expect(clockText('UTC', at('2026-07-14T09:41:07.042Z'))).toBe('09:41:07.042');
  });

  it('applies positive, negative and half-hour offsets', () => {
    const instant = at('2026-01-15T12:00:00.500Z');
    expect(clockText('Asia/Tokyo', instant)).toBe('21:00:00.500');
    expect(clockText('America/Los_Angeles', instant)).toBe('04:00:00.500');
    expect(clockText('Asia/Kolkata', instant)).toBe('17:30:00.500');
    expect(clockText('Asia/Kathmandu', instant)).toBe('17:45:00.500');
    expect(clockText('America/St_Johns', instant)).toBe('08:30:00.500');
  });

  it('springs forward in Europe/Paris on 2026-03-29 from its first millisecond', () => {
    const paris = new ZoneClock('Europe/Paris');
    const before = at('2026-03-29T00:59:59.999Z');
    expect(formatClock(paris.fieldsAt(before))).toBe('01:59:59.999');
    // The same instance, so the per-minute cache must notice the transition.
    expect(formatClock(paris.fieldsAt(before + 1))).toBe('03:00:00.000');
    expect(formatUtcOffset(paris.offsetAt(before))).toBe('UTC+01:00');
    expect(formatUtcOffset(paris.offsetAt(before + 1))).toBe('UTC+02:00');
  });

  it('falls back in America/New_York on 2026-11-01, repeating 01:00–02:00', () => {
    const newYork = new ZoneClock('America/New_York');
    const before = at('2026-11-01T05:59:59.999Z');
    expect(formatClock(newYork.fieldsAt(before))).toBe('01:59:59.999');
    expect(formatClock(newYork.fieldsAt(before + 1))).toBe('01:00:00.000');
    expect(formatUtcOffset(newYork.offsetAt(before))).toBe('UTC\u221204:00');
    expect(formatUtcOffset(newYork.offsetAt(before + 1))).toBe('UTC\u221205:00');
  });

  it('rolls over at midnight, both ways across the date line', () => {
    const tokyo = new ZoneClock('Asia/Tokyo');
    expect(formatClock(tokyo.fieldsAt(at('2026-12-31T14:59:59.999Z')))).toBe('23:59:59.999');
    expect(formatClock(tokyo.fieldsAt(at('2026-12-31T15:00:00.000Z')))).toBe('00:00:00.000');
    const honolulu = new ZoneClock('Pacific/Honolulu');
    expect(formatClock(honolulu.fieldsAt(at('2026-06-01T09:59:59.999Z')))).toBe('23:59:59.999');
    expect(formatClock(honolulu.fieldsAt(at('2026-06-01T10:00:00.000Z')))).toBe('00:00:00.000');
  });

  it('floors sub-millisecond instants and never shows .1000', () => {
    const utc = new ZoneClock('UTC');
    // Near 2026 a double resolves about 0.0005 ms, so these fractions are exact enough.
    expect(formatClock(utc.fieldsAt(at('2026-05-05T10:00:00.000Z') - 0.25))).toBe('09:59:59.999');
    expect(formatClock(utc.fieldsAt(at('2026-05-05T10:00:00.999Z') + 0.998))).toBe('10:00:00.999');
    expect(formatClock(utc.fieldsAt(at('2026-05-05T23:59:59.999Z') + 0.5))).toBe('23:59:59.999');
  });

  it('handles instants before 1970', () => {
    expect(clockText('UTC', at('1969-12-31T23:59:59.250Z'))).toBe('23:59:59.250');
  });
});

describe('zoneClock', () => {
  it('shares one clock per zone', () => {
    expect(zoneClock('Europe/Paris')).toBe(zoneClock('Europe/Paris'));
  });

  it('is null for a zone Intl does not know', () => {
    expect(zoneClock('Mars/Olympus_Mons')).toBeNull();
  });
});

describe('formatClock', () => {
  const fields = { hours: 9, minutes: 41, seconds: 7, milliseconds: 42 };

  it('pads every field', () => {
    expect(formatClock({ hours: 0, minutes: 5, seconds: 9, milliseconds: 3 })).toBe('00:05:09.003');
  });

  it('shows -- for each degraded field', () => {
    const hide = (...names: FieldName[]) => formatClock(fields, new Set(names));
    expect(hide('minutes')).toBe('09:--:07.042');
    expect(hide('hours', 'milliseconds')).toBe('--:41:07.---');
    expect(hide('hours', 'minutes', 'seconds', 'milliseconds')).toBe('--:--:--.---');
  });

  it('shows only dashes when the time is unknown', () => {
    expect(formatClock(null)).toBe('--:--:--.---');
    expect(UNKNOWN_TIME).toBe('--:--:--.---');
  });
});

describe('formatUtcOffset', () => {
  it('names whole, half and quarter hours on both sides of UTC', () => {
    expect(formatUtcOffset(0)).toBe('UTC');
    expect(formatUtcOffset(9 * 3_600_000)).toBe('UTC+09:00');
    expect(formatUtcOffset(-5 * 3_600_000)).toBe('UTC\u221205:00');
    expect(formatUtcOffset(5.5 * 3_600_000)).toBe('UTC+05:30');
    expect(formatUtcOffset(-3.5 * 3_600_000)).toBe('UTC\u221203:30');
    expect(formatUtcOffset(5.75 * 3_600_000)).toBe('UTC+05:45');
    expect(formatUtcOffset(14 * 3_600_000)).toBe('UTC+14:00');
  });

  it('labels a zone with its offset', () => {
    expect(formatZoneLabel('Asia/Tokyo', 9 * 3_600_000)).toBe('Asia/Tokyo · UTC+09:00');
    expect(formatZoneLabel('Europe/London', 0)).toBe('Europe/London · UTC');
  });

  it('names UTC once, not "UTC · UTC"', () => {
    expect(formatZoneLabel('UTC', 0)).toBe('UTC');
    expect(formatZoneLabel('Etc/UTC', 0)).toBe('UTC');
    expect(formatZoneLabel('GMT', 0)).toBe('UTC');
  });
});

describe('formatDate', () => {
  it('gives the date in the zone, not in UTC', () => {
    const instant = at('2026-12-31T20:00:00Z');
    // Punctuation varies between ICU versions; the words and their order do not.
    expect(formatDate('UTC', instant, 'en-GB')).toMatch(/^Thursday,? 31 December 2026$/);
    expect(formatDate('Asia/Tokyo', instant, 'en-GB')).toMatch(/^Friday,? 1 January 2027$/);
    expect(formatDate('Asia/Tokyo', instant, 'en-US')).toMatch(/^Friday,? January 1, 2027$/);
  });
});

describe('describeOffsetDifference', () => {
  const hours = (h: number) => h * 3_600_000;

  it('says how far ahead or behind a zone is', () => {
    expect(describeOffsetDifference(hours(9), hours(1))).toBe('8 h ahead of');
    expect(describeOffsetDifference(hours(-5), hours(1))).toBe('6 h behind');
    expect(describeOffsetDifference(hours(5.5), hours(0))).toBe('5 h 30 min ahead of');
    expect(describeOffsetDifference(hours(5.75), hours(5.5))).toBe('15 min ahead of');
    expect(describeOffsetDifference(hours(2), hours(2))).toBe('the same as');
  });
});

describe('formatTimeOfDay', () => {
  const instant = at('2026-11-23T20:15:03.900Z');

  it('is HH:MM:SS on the 24-hour clock of the zone, never AM/PM', () => {
    expect(formatTimeOfDay(instant, 'UTC')).toBe('20:15:03');
    expect(formatTimeOfDay(instant, 'Asia/Kolkata')).toBe('01:45:03');
    expect(formatTimeOfDay(instant, 'America/New_York')).toBe('15:15:03');
    expect(formatTimeOfDay(at('2026-11-23T00:00:00Z'), 'UTC')).toBe('00:00:00');
  });

  it('reads a zone Intl does not know as UTC', () => {
    expect(formatTimeOfDay(instant, 'Not/AZone')).toBe('20:15:03');
  });
});
