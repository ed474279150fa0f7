// The tab title: the soonest pending timer's countdown to the second, or the page's own title.
import { describe, expect, it } from 'vitest';
import { formatCountdownSeconds } from './countdown';
import { countdownTitle, msUntilNextSecond } from './countdownTitle';
import { timer } from './timerFixtures';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const TEA = timer('t-tea', 'pending', NOW + 299_000, { label: 'tea', minutes: 5 });
const EGGS = timer('t-eggs', 'pending', NOW + 360_000, { label: '', minutes: 6, seconds: 0 });

describe('countdownTitle', () => {
  it('shows the soonest pending timer, counting down to the second', () => {
    expect(countdownTitle([TEA, EGGS], NOW, 'Clocker — timers')).toBe('4:59 · tea — Clocker');
    expect(countdownTitle([TEA], NOW + 0.4, 'Clocker — timers')).toBe('4:59 · tea — Clocker');
    expect(countdownTitle([TEA], NOW + 1000, 'Clocker — timers')).toBe('4:58 · tea — Clocker');
  });

  it('names a timer without a label by its duration, and never counts below 0:00', () => {
    expect(countdownTitle([EGGS], NOW, 'x')).toBe('6:00 · 6 min timer — Clocker');
    expect(countdownTitle([EGGS], NOW + 400_000, 'x')).toBe('0:00 · 6 min timer — Clocker');
  });

  it('is the page’s own title when nothing is pending', () => {
    expect(countdownTitle([], NOW, 'Clocker — a live clock')).toBe('Clocker — a live clock');
  });

  it('waits just until the shown second changes', () => {
    expect(msUntilNextSecond([TEA], NOW + 300)).toBe(700);
    expect(msUntilNextSecond([TEA], NOW)).toBe(1000);
    expect(msUntilNextSecond([], NOW)).toBe(1000);
  });
});

describe('formatCountdownSeconds', () => {
  it('writes hours and days as the countdown does, without tenths', () => {
    expect(formatCountdownSeconds(3_723_000)).toBe('1:02:03');
    expect(formatCountdownSeconds(59_001)).toBe('1:00');
    expect(formatCountdownSeconds(2 * 86_400_000 + 3_723_000)).toBe('2 d 01:02:03');
  });
});
