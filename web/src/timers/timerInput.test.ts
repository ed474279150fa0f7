// The timer form's checks: empty is 0, whole numbers only, 1 s to 366 days, labels by the byte.
import { describe, expect, it } from 'vitest';
import { MAX_TOTAL_SECONDS, utf8Length, validateTimerInput, type TimerFields } from './timerInput';

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
    expect(result.errors.hours).toMatch(/whole number of hours/);
    expect(result.errors.minutes).toMatch(/whole number of minutes/);
    expect(result.errors.seconds).toMatch(/whole number of seconds/);
    expect(result.errors.total).toBeUndefined();
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
    expect(validateTimerInput(fields({ hours: '99999999999999999999' })).ok).toBe(false);
  });

  it('counts the label in UTF-8 bytes, as the server does', () => {
    expect(validateTimerInput(fields({ seconds: '1', label: 'a'.repeat(200) })).ok).toBe(true);
    const long = validateTimerInput(fields({ seconds: '1', label: 'é'.repeat(101) }));
    expect(long.ok).toBe(false);
    if (!long.ok) expect(long.errors.label).toMatch(/200 bytes \(this one is 202\)/);
    expect(utf8Length('☕')).toBe(3);
  });
});
