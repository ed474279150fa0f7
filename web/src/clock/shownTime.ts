/**
 * What a clock face shows for an instant and an offset: the digits
 * (`HH:MM:SS.mmm`, or `HH:MM:SS` without milliseconds) and the date, by
 * plain UTC arithmetic on the shifted instant, so a face drawn with the
 * services' offset shows the services' date too. The offset is the
 * services' when they gave one, else the browser's rules (`Intl`).
 */

import { formatClock, formatDate, zoneClock, type ClockFields, type FieldName } from '../shared/format';

/** The offset to draw `zone` with at `unixMs`: the services' when known, else Intl's; null for a zone neither knows. */
export function offsetToShow(zone: string, serviceOffsetMs: number | null, unixMs: number): number | null {
  return serviceOffsetMs ?? zoneClock(zone)?.offsetAt(unixMs) ?? null;
}

/** `HH:MM:SS.mmm`, or `HH:MM:SS` when `showMilliseconds` is false; `--` per hidden field. */
export function formatShownTime(
  fields: ClockFields | null,
  hidden: ReadonlySet<FieldName>,
  showMilliseconds: boolean,
): string {
  const text = formatClock(fields, hidden);
  return showMilliseconds ? text : text.slice(0, 'HH:MM:SS'.length);
}

/** "Monday, 23 November 2026": the date at `unixMs` in a zone `offsetMs` from UTC. */
export function formatShownDate(unixMs: number, offsetMs: number, locale?: string): string {
  return formatDate('UTC', unixMs + offsetMs, locale);
}
