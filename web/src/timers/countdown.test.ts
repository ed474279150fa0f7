// Countdown text: rounding up to the tenth, hours and days, durations, lateness, names.
import { describe, expect, it } from 'vitest';
import { describeDuration, describeLate, formatCountdown, timerName } from './countdown';
import type { Timer } from './timerApi';

describe('formatCountdown', () => {
  it('rounds time left up to the tenth, so it reads 0:00.0 exactly when due', () => {
    expect(formatCountdown(2000)).toBe('0:02.0');
    expect(formatCountdown(1999)).toBe('0:02.0');
    expect(formatCountdown(1901)).toBe('0:02.0');
    expect(formatCountdown(1900)).toBe('0:01.9');
    expect(formatCountdown(1)).toBe('0:00.1');
    expect(formatCountdown(0)).toBe('0:00.0');
  });

  it('never goes below zero for a timer past due', () => {
    expect(formatCountdown(-5)).toBe('0:00.0');
    expect(formatCountdown(-90_000)).toBe('0:00.0');
  });

  it('shows minutes, then hours', () => {
    expect(formatCountdown(90_000)).toBe('1:30.0');
    expect(formatCountdown(59 * 60_000 + 59_900)).toBe('59:59.9');
    expect(formatCountdown(59 * 60_000 + 59_950)).toBe('1:00:00.0');
    expect(formatCountdown(3_600_000)).toBe('1:00:00.0');
    expect(formatCountdown(3_600_001)).toBe('1:00:00.1');
    expect(formatCountdown(23 * 3_600_000 + 5 * 60_000 + 7_000)).toBe('23:05:07.0');
  });

  it('shows whole seconds past a day', () => {
    expect(formatCountdown(86_400_000)).toBe('1 d 00:00:00');
    expect(formatCountdown(86_399_950)).toBe('1 d 00:00:00');
    expect(formatCountdown(86_399_000)).toBe('23:59:59.0');
    expect(formatCountdown(366 * 86_400_000 - 500)).toBe('366 d 00:00:00');
    expect(formatCountdown(2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 4_001)).toBe('2 d 03:04:05');
  });
});

describe('describeDuration', () => {
  it('normalises and leaves out zero parts', () => {
    expect(describeDuration(90)).toBe('1 min 30 s');
    expect(describeDuration(2)).toBe('2 s');
    expect(describeDuration(3600)).toBe('1 h');
    expect(describeDuration(3600 + 5)).toBe('1 h 5 s');
    expect(describeDuration(86_400 + 7_200)).toBe('1 d 2 h');
    expect(describeDuration(0)).toBe('0 s');
  });
});

describe('describeLate', () => {
  it('says on time for 0 and the lateness otherwise', () => {
    expect(describeLate(0)).toBe('on time');
    expect(describeLate(5)).toBe('5 ms late');
    expect(describeLate(12)).toBe('12 ms late');
    expect(describeLate(3_400)).toBe('3.4 s late');
    expect(describeLate(125 * 60_000)).toBe('2 h 5 min late');
  });
});

describe('timerName', () => {
  const timer = (label: string): Timer => ({
    id: 't',
    owned: false,
    label,
    hours: 0,
    minutes: 1,
    seconds: 30,
    state: 'pending',
    firesAtMs: 0,
    createdAt: '',
    endedAtMs: null,
    lateMs: 0,
  });

  it('is the label, or the duration for a timer without one', () => {
    expect(timerName(timer('tea'))).toBe('tea');
    expect(timerName(timer(''))).toBe('1 min 30 s timer');
    expect(timerName(timer('  '))).toBe('1 min 30 s timer');
  });
});

