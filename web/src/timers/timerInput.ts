/**
 * The timer form's checks, before anything is sent: whole numbers of hours,
 * minutes and seconds (empty is 0), at least a second and at most 366 days
 * in all, a label of at most 200 bytes — the limits the timer service
 * enforces, so a person hears about a mistake beside the field at once.
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

const UNIT_NAMES = { hours: 'hours', minutes: 'minutes', seconds: 'seconds' } as const;

export function validateTimerInput(fields: TimerFields): Validated {
  const errors: FieldErrors = {};
  const count = (name: 'hours' | 'minutes' | 'seconds'): number => {
    const text = fields[name].trim();
    if (text === '') return 0;
    if (!/^\d+$/.test(text)) {
      errors[name] = `Enter a whole number of ${UNIT_NAMES[name]}, 0 or more.`;
      return 0;
    }
    return Number(text);
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
