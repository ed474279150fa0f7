/**
 * What the Alarm form says it will do: "Rings at 07:30 CET tomorrow, in
 * 9 h 12 min", and on a day the clocks change, the server's note (e.g.
 * "02:30 does not exist in Europe/Berlin on Sunday 28 March 2027 …"). Also
 * the form's check of the time typed (HH:MM on the 24-hour clock).
 */

import { describeDuration } from './countdown';
import type { NextAlarm } from './alarmApi';

/** `7:30`, `07:30` or `0730` → `07:30`; null when it is not a time of day. */
export function parseTimeOfDay(typed: string): string | null {
  const match = /^(\d{1,2}):?(\d{2})$/.exec(typed.trim());
  if (match === null) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return null;
  return `${String(hours).padStart(2, '0')}:${match[2]}`;
}

/** "Rings at 07:30 CET tomorrow, in 9 h 12 min." — with the DST note when the time was moved. */
export function describeAlarm(next: NextAlarm, nowMs: number): string {
  // The wall time as the services wrote it (`fires_at`'s own HH:MM), not the browser's zone rules.
  const time = /^\d{4}-\d\d-\d\dT(\d\d:\d\d)/.exec(next.firesAt)?.[1] ?? hoursMinutes(next.unixMs, next.timezone);
  const abbreviation = zoneAbbreviation(next.unixMs, next.timezone);
  const day = dayWord(next.unixMs, nowMs, next.timezone);
  const wait = describeDuration(Math.max(60, Math.round((next.unixMs - nowMs) / 60_000) * 60));
  const rings = `Rings at ${time} ${abbreviation} ${day}, in ${wait}.`;
  return next.adjustment === 'none' || next.note === '' ? rings : `${next.note} ${rings}`;
}

function hoursMinutes(unixMs: number, zone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    unixMs,
  );
}

/** "CET", "EST", else "GMT+9": the short name people know, where there is one. */
export function zoneAbbreviation(unixMs: number, zone: string): string {
  const named = (locale: string) =>
    new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(unixMs)
      .find((part) => part.type === 'timeZoneName')?.value ?? zone;
  const american = named('en-US');
  return american.startsWith('GMT') ? named('en-GB') : american;
}

/** "today", "tomorrow", else "on Sunday 28 March", by the calendar of `zone`. */
function dayWord(unixMs: number, nowMs: number, zone: string): string {
  const date = (ms: number) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
  const then = date(unixMs);
  if (then === date(nowMs)) return 'today';
  const tomorrow = new Date(`${date(nowMs)}T12:00:00Z`);
  tomorrow.setUTCDate(tomorrow.getUTCDate() + 1);
  if (then === tomorrow.toISOString().slice(0, 10)) return 'tomorrow';
  return `on ${new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'long', day: 'numeric', month: 'long' }).format(unixMs)}`;
}
