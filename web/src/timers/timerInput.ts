/**
 * The timer form's checks, before anything is sent: whole numbers of hours,
 * minutes and seconds (empty is 0), at least a second and at most 366 days
 * in all, a label of at most 200 bytes — the limits the timer service
 * enforces, so a person hears about a mistake beside the field at once.
 * The fields are plain text (a `type="number"` field reads "10m" as empty,
 * so "1 h 10m" would silently start a 1 h timer): anything that is not a
 * whole number is refused, naming what was typed.
 */

import type { NewTimer } from './timerApi';

export const MAX_TOTAL_SECONDS = 366 * 86_400;
export const MAX_LABEL_BYTES = 200;

/** The form's fields, as typed. */
export interface TimerFields {
  readonly hours: string;
  readonly minutes: string;
  readonly seconds: string;
  readonly label: string;
}

export type FieldName = keyof TimerFields;

/** What is wrong, per field, and with the duration as a whole (`total`). */
export type FieldErrors = Partial<Record<FieldName | 'total', string>>;

export type Validated =
  | { readonly ok: true; readonly request: NewTimer }
  | { readonly ok: false; readonly errors: FieldErrors };

type UnitName = 'hours' | 'minutes' | 'seconds';

const UNITS: Record<UnitName, { readonly title: string; readonly seconds: number }> = {
  hours: { title: 'Hours', seconds: 3600 },
  minutes: { title: 'Minutes', seconds: 60 },
  seconds: { title: 'Seconds', seconds: 1 },
};

export type ParsedCount = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/**
 * One duration field: empty is 0, else a whole number of at most 366 days in
 * that unit; anything else is an error naming the field and what was typed.
 */
export function parseCount(name: UnitName, typed: string): ParsedCount {
  const text = typed.trim();
  const { title, seconds } = UNITS[name];
  if (text === '') return { ok: true, value: 0 };
  if (!/^\d+$/.test(text)) return { ok: false, error: `${title}: “${text}” is not a whole number.` };
  const value = Number(text);
  const max = MAX_TOTAL_SECONDS / seconds;
  if (value > max) return { ok: false, error: `${title}: “${text}” is more than ${max} (366 days).` };
  return { ok: true, value };
}

export function validateTimerInput(fields: TimerFields): Validated {
  const errors: FieldErrors = {};
  const count = (name: UnitName): number => {
    const parsed = parseCount(name, fields[name]);
    if (parsed.ok) return parsed.value;
    errors[name] = parsed.error;
    return 0;
  };
  const hours = count('hours');
  const minutes = count('minutes');
  const seconds = count('seconds');

  const label = fields.label.trim();
  const bytes = utf8Length(label);
  if (bytes > MAX_LABEL_BYTES) {
    errors.label = `Keep the label to ${MAX_LABEL_BYTES} bytes (this one is ${bytes}).`;
  }

  if (errors.hours === undefined && errors.minutes === undefined && errors.seconds === undefined) {
    const total = hours * 3600 + minutes * 60 + seconds;
    if (total === 0) errors.total = 'Set at least one second.';
    else if (total > MAX_TOTAL_SECONDS) errors.total = 'A timer can run for at most 366 days.';
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, request: { hours, minutes, seconds, label } };
}

/** The length of `text` in UTF-8, as the server counts it. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
