// Reconnect delays: growth, cap, full-jitter bounds and the reset after a healthy connection.
import { describe, expect, it } from 'vitest';
import { Backoff, backoffCeiling } from './backoff';

/** A "random" source that always answers `value`. */
const fixed = (value: number) => () => value;

describe('backoffCeiling', () => {
  it('doubles from the base and stops at the cap', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffCeiling(n, 250, 10_000));
    expect(ceilings).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('stays at the cap however many attempts fail', () => {
    expect(backoffCeiling(5000, 250, 10_000)).toBe(10_000);
  });
});

describe('Backoff', () => {
  it('numbers the attempts and grows the delay', () => {
    const backoff = new Backoff({ random: fixed(0.5) });
    const retries = [1, 2, 3, 4].map(() => backoff.next());
    expect(retries).toEqual([
      { attempt: 1, delayMs: 125 },
      { attempt: 2, delayMs: 250 },
      { attempt: 3, delayMs: 500 },
      { attempt: 4, delayMs: 1000 },
    ]);
  });

  it('jitters over the whole range [0, ceiling)', () => {
    const low = new Backoff({ random: fixed(0) });
    const high = new Backoff({ random: fixed(0.999999) });
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = backoffCeiling(attempt, 250, 10_000);
      expect(low.next().delayMs).toBe(0);
      const top = high.next().delayMs;
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThan(ceiling * 0.999);
    }
  });

  it('keeps random delays within bounds', () => {
    let seed = 7;
    const lcg = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const backoff = new Backoff({ random: lcg, baseMs: 100, capMs: 3000 });
    for (let attempt = 1; attempt <= 50; attempt++) {
      const { delayMs } = backoff.next();
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThan(backoffCeiling(attempt, 100, 3000));
    }
  });

  it('starts afresh after a connection that lived long enough', () => {
    const backoff = new Backoff({ random: fixed(0.5), resetAfterMs: 10_000 });
    backoff.next();
    backoff.next();
    // Live for 3 s only: still counting.
    expect(backoff.next(3_000)).toEqual({ attempt: 3, delayMs: 500 });
    // Live for 10 s: the count starts again.
    expect(backoff.next(10_000)).toEqual({ attempt: 1, delayMs: 125 });
  });

  it('starts afresh on reset', () => {
    const backoff = new Backoff({ random: fixed(0.5) });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next().attempt).toBe(1);
  });
});
