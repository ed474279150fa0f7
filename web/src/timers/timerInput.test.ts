// The timer form's checks: empty is 0, whole numbers only, 1 s to 366 days, labels by the byte.
import { describe, expect, it } from 'vitest';
import { MAX_TOTAL_SECONDS, parseCount, utf8Length, validateTimerInput, type TimerFields } from './timerInput';

const fields = (overrides: Partial<TimerFields>): TimerFields => ({
  hours: '',
  minutes: '',
  seconds: '',
  label: '',
  ...overrides,
});

describe('validateTimerInput', () => {
  it('reads empty fields as 0 and trims the label', () => {
    expect(validateTimerInput(fields({ seconds: '2', label: '  tea ' }))).toEqual({
      ok: true,
      request: { hours: 0, minutes: 0, seconds: 2, label: 'tea' },
    });
  });

  it('keeps durations as typed, without normalising (90 s stays 90 s)', () => {
    expect(validateTimerInput(fields({ minutes: ' 1 ', seconds: '90' }))).toEqual({
      ok: true,
      request: { hours: 0, minutes: 1, seconds: 90, label: '' },
    });
  });

  it('refuses negative, fractional and other non-whole numbers beside their field', () => {
    const result = validateTimerInput(fields({ hours: '-1', minutes: '1.5', seconds: '1e3' }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.hours).toBe('Hours: “-1” is not a whole number.');
    expect(result.errors.minutes).toBe('Minutes: “1.5” is not a whole number.');
    expect(result.errors.seconds).toBe('Seconds: “1e3” is not a whole number.');
    expect(result.errors.total).toBeUndefined();
  });

  it('refuses what a number field would have read as empty, naming what was typed', () => {
    const result = validateTimerInput(fields({ hours: '1 h', minutes: '10m', seconds: '5e' }));
    expect(result).toEqual({
      ok: false,
      errors: {
        hours: 'Hours: “1 h” is not a whole number.',
        minutes: 'Minutes: “10m” is not a whole number.',
        seconds: 'Seconds: “5e” is not a whole number.',
      },
    });
  });

  it('reads each field on its own: empty is 0, whole numbers up to 366 days in that unit', () => {
    expect(parseCount('minutes', '')).toEqual({ ok: true, value: 0 });
    expect(parseCount('minutes', ' 30 ')).toEqual({ ok: true, value: 30 });
    expect(parseCount('hours', '8784')).toEqual({ ok: true, value: 8784 });
    expect(parseCount('hours', '8785')).toEqual({ ok: false, error: 'Hours: “8785” is more than 8784 (366 days).' });
    expect(parseCount('seconds', '٣')).toEqual({ ok: false, error: 'Seconds: “٣” is not a whole number.' });
  });

  it('asks for at least a second', () => {
    const result = validateTimerInput(fields({ hours: '0', minutes: '', seconds: '0' }));
    expect(result).toEqual({ ok: false, errors: { total: 'Set at least one second.' } });
  });

  it('allows exactly 366 days and no more', () => {
    expect(validateTimerInput(fields({ seconds: String(MAX_TOTAL_SECONDS) })).ok).toBe(true);
    expect(validateTimerInput(fields({ hours: '8784' })).ok).toBe(true);
    const over = validateTimerInput(fields({ hours: '8784', seconds: '1' }));
    expect(over).toEqual({ ok: false, errors: { total: 'A timer can run for at most 366 days.' } });
    expect(validateTimerInput(fields({ hours: '99999999999999999999' }))).toEqual({
      ok: false,
      errors: { hours: 'Hours: “99999999999999999999” is more than 8784 (366 days).' },
    });
  });

  it('counts the label in UTF-8 bytes, as the server does', () => {
    expect(validateTimerInput(fields({ seconds: '1', label: 'a'.repeat(200) })).ok).toBe(true);
    const long = validateTimerInput(fields({ seconds: '1', label: 'é'.repeat(101) }));
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.errors.label).toMatch(/200 bytes \(this one is 202\)/);
    expect(utf8Length('☕')).toBe(3);
  });
});
