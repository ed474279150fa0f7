// What the Alarm form says it will do, and the time of day it accepts.
import { describe, expect, it } from 'vitest';
import { describeAlarm, parseTimeOfDay, zoneAbbreviation } from './alarmText';
import type { NextAlarm } from './alarmApi';

const at = (iso: string) => Date.parse(iso);

function next(overrides: Partial<NextAlarm>): NextAlarm {
  return {
    at: '07:30',
    timezone: 'Europe/Berlin',
    firesAt: '2026-12-08T07:30:00+01:00',
    unixMs: at('2026-12-08T07:30:00+01:00'),
    inSeconds: 0,
    adjustment: 'none',
    note: '',
    ...overrides,
  };
}

describe('describeAlarm', () => {
  it('says when it rings, in the zone’s own words, and how long until then', () => {
    expect(describeAlarm(next({}), at('2026-12-07T22:18:00+01:00'))).toBe('Rings at 07:30 CET tomorrow, in 9 h 12 min.');
    expect(describeAlarm(next({}), at('2026-12-08T07:00:00+01:00'))).toBe('Rings at 07:30 CET today, in 30 min.');
  });

  it('goes by the calendar of the alarm’s zone, not the device’s', () => {
    const tokyo = next({ timezone: 'Asia/Tokyo', firesAt: '2026-12-08T00:10:00+09:00', unixMs: at('2026-12-08T00:10:00+09:00') });
    expect(describeAlarm(tokyo, at('2026-12-07T23:50:00+09:00'))).toBe('Rings at 00:10 GMT+9 tomorrow, in 20 min.');
  });

  it('says the wall time the services wrote, even where the browser’s zone rules differ', () => {
    // The services put Casablanca at +00:00 that day; a browser with other rules would say 08:30.
    const services = next({ timezone: 'Africa/Casablanca', firesAt: '2026-12-08T07:30:00+00:00', unixMs: at('2026-12-08T07:30:00+00:00') });
    expect(describeAlarm(services, at('2026-12-08T07:00:00+00:00'))).toMatch(/^Rings at 07:30 /);
  });

  it('puts the server’s note first on a day the clocks change', () => {
    const note =
      '02:30 does not exist in Europe/Berlin on Sunday 28 March 2027 (clocks go forward from 02:00 to 03:00); the alarm rings at 03:30 CEST.';
    const skipped = next({ at: '02:30', firesAt: '2027-03-28T03:30:00+02:00', unixMs: at('2027-03-28T03:30:00+02:00'), adjustment: 'skipped', note });
    expect(describeAlarm(skipped, at('2027-03-27T12:00:00+01:00'))).toBe(
      `${note} Rings at 03:30 CEST tomorrow, in 14 h 30 min.`,
    );
  });

  it('names a day further off', () => {
    expect(describeAlarm(next({}), at('2026-12-06T07:30:00+01:00'))).toBe(
      'Rings at 07:30 CET on Tuesday 8 December, in 2 d.',
    );
  });
});

describe('parseTimeOfDay', () => {
  it('accepts HH:MM on the 24-hour clock, padding the hour', () => {
    expect(parseTimeOfDay('07:30')).toBe('07:30');
    expect(parseTimeOfDay(' 7:05 ')).toBe('07:05');
    expect(parseTimeOfDay('2359')).toBe('23:59');
  });

  it('refuses what is not a time of day', () => {
    for (const typed of ['24:00', '7:60', '7.30', '7:3', 'seven', '', '07:30 pm']) expect(parseTimeOfDay(typed)).toBeNull();
  });
});

describe('zoneAbbreviation', () => {
  it('uses the name people know where there is one', () => {
    expect(zoneAbbreviation(at('2026-07-01T12:00:00Z'), 'America/New_York')).toBe('EDT');
    expect(zoneAbbreviation(at('2026-07-01T12:00:00Z'), 'Europe/Berlin')).toBe('CEST');
  });
});
