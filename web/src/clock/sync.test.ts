// Offset estimation: exact and lopsided exchanges, best-of-N, bounds, discards, ageing.
import { describe, expect, it } from 'vitest';
import { DRIFT_MS_PER_SEC, OffsetEstimator, measure, timerResolution, validSample, type RawSample } from './sync';

const TRUE_OFFSET = 1234.5; // server clock minus client clock
const PROCESSING = 0.05; // the server holds each ping this long

/** An exchange sent at client time t0 that takes `out` ms there and `back` ms home. */
function exchange(t0: number, out: number, back: number, offset = TRUE_OFFSET): RawSample {
  const t1 = t0 + out + offset;
  const t2 = t1 + PROCESSING;
  const t3 = t2 - offset + back;
  return { t0, t1, t2, t3 };
}

describe('measure', () => {
  it('recovers the exact offset when the delays are symmetric', () => {
    const sample = validSample(exchange(1_000_000, 4, 4));
    expect(sample).not.toBeNull();
    const { offsetMs, delayMs } = measure(sample!);
    expect(offsetMs).toBeCloseTo(TRUE_OFFSET, 9);
    expect(delayMs).toBeCloseTo(8, 9);
  });

  it('errs by half the asymmetry, within δ/2, when the delays are not', () => {
    const sample = validSample(exchange(1_000_000, 1, 9));
    const { offsetMs, delayMs } = measure(sample!);
    expect(delayMs).toBeCloseTo(10, 9);
    // A slow way back makes the server look 4 ms behind where it is.
    expect(offsetMs).toBeCloseTo(TRUE_OFFSET - 4, 9);
    expect(Math.abs(offsetMs - TRUE_OFFSET)).toBeLessThanOrEqual(delayMs / 2);
  });

  it('never reports a negative delay', () => {
    // A coarse client timer saw no time pass although the server held the ping.
    const { delayMs } = measure({ t0: 100, t1: 50, t2: 50.2, t3: 100 });
    expect(delayMs).toBe(0);
  });
});

describe('validSample', () => {
  it('discards pongs from a server that does not know its clock yet', () => {
    expect(validSample({ t0: 1, t1: null, t2: null, t3: 2 })).toBeNull();
    expect(validSample({ t0: 1, t1: 5, t2: null, t3: 2 })).toBeNull();
  });

  it('discards inconsistent or non-finite times', () => {
    expect(validSample({ t0: 10, t1: 5, t2: 6, t3: 9 })).toBeNull(); // received before sent
    expect(validSample({ t0: 1, t1: 6, t2: 5, t3: 9 })).toBeNull(); // server sent before it received
    expect(validSample({ t0: 1, t1: Number.NaN, t2: 5, t3: 9 })).toBeNull();
    expect(validSample({ t0: 1, t1: 5, t2: 6, t3: 9 })).toEqual({ t0: 1, t1: 5, t2: 6, t3: 9 });
  });
});

describe('OffsetEstimator', () => {
  it('has no estimate before a sample', () => {
    const estimator = new OffsetEstimator();
    expect(estimator.estimate()).toBeNull();
    estimator.add({ t0: 1, t1: null, t2: null, t3: 2 });
    expect(estimator.estimate()).toBeNull();
    expect(estimator.sampleCount).toBe(0);
  });

  it('picks the lowest-delay sample of a burst, and its bound holds', () => {
    const estimator = new OffsetEstimator();
    estimator.beginBurst();
    // Eight pings, 50 ms apart, with delays that vary and are mostly lopsided.
    const legs: Array<[number, number]> = [
      [12, 3],
      [1, 9], // the best: δ = 10 ms, 1 ms out and 9 ms back
      [30, 2],
      [7, 7],
      [2, 40],
      [25, 25],
      [9, 6],
      [15, 1],
    ];
    legs.forEach(([out, back], i) => estimator.add(exchange(5_000 + 50 * i, out, back)));
    const estimate = estimator.estimate();
    expect(estimate).not.toBeNull();
    expect(estimate!.samples).toBe(8);
    expect(estimate!.delayMs).toBeCloseTo(10, 9);
    expect(estimate!.offsetMs).toBeCloseTo(TRUE_OFFSET - 4, 9);
    // δ/2, widened by the 0.3 s the best sample is older than the newest.
    expect(estimate!.accuracyMs).toBeCloseTo(5 + 0.3 * DRIFT_MS_PER_SEC, 2);
    expect(Math.abs(estimate!.offsetMs - TRUE_OFFSET)).toBeLessThanOrEqual(estimate!.accuracyMs);
  });

  it('never claims an accuracy finer than the timer resolution', () => {
    const estimator = new OffsetEstimator({ resolutionMs: 0.1 });
    estimator.add({ t0: 100, t1: 1334.5, t2: 1334.5, t3: 100 });
    expect(estimator.estimate()!.accuracyMs).toBeCloseTo(0.1, 9);
  });

  it('does not take a coarse timer for a stepped clock', () => {
    // A 0.1 ms timer: a fast exchange measures δ = 0, and the next one's
    // offset is a step of the timer away. Both are right to within 0.1 ms.
    const estimator = new OffsetEstimator({ resolutionMs: 0.1 });
    estimator.add({ t0: 100, t1: 1334.5, t2: 1334.5, t3: 100 });
    estimator.add({ t0: 150, t1: 1384.59, t2: 1384.59, t3: 150 });
    expect(estimator.sampleCount).toBe(2);
  });

  it('ages out old bursts so the estimate follows a drifting server', () => {
    const estimator = new OffsetEstimator({ windowBursts: 2 });
    estimator.beginBurst();
    estimator.add(exchange(0, 0.5, 0.5, 100)); // a superb sample, offset 100
    estimator.beginBurst();
    estimator.add(exchange(60_000, 4, 4, 101)); // bound 4 ms
    // 60 s old, the superb sample's bound is 0.5 + 3 = 3.5 ms: still the tightest.
    expect(estimator.estimate()!.offsetMs).toBeCloseTo(100, 9);
    expect(estimator.estimate()!.accuracyMs).toBeCloseTo(3.5, 2);
    estimator.beginBurst();
    estimator.add(exchange(120_000, 4, 4, 102));
    const estimate = estimator.estimate()!;
    // The offset-100 burst has left the window; the best remaining is the newer 102.
    expect(estimate.offsetMs).toBeCloseTo(102, 9);
    expect(estimate.samples).toBe(2);
  });

  it('prefers a fresh sample over a tighter one that has grown old', () => {
    const estimator = new OffsetEstimator();
    estimator.add(exchange(0, 0.1, 0.1, 100));
    estimator.beginBurst();
    estimator.add(exchange(20_000, 0.5, 0.5, 100.5)); // 0.5 ms bound vs 0.1 + 1 ms
    expect(estimator.estimate()!.offsetMs).toBeCloseTo(100.5, 9);
    expect(estimator.estimate()!.accuracyMs).toBeCloseTo(0.5, 9);
  });

  it('drops older samples at once when a new one contradicts them (a stepped clock)', () => {
    const estimator = new OffsetEstimator();
    for (let i = 0; i < 8; i += 1) estimator.add(exchange(i * 50, 0.1, 0.1, 100));
    estimator.beginBurst();
    // A restarted server 2 s off; its sample has a worse round trip all the same.
    estimator.add(exchange(1_000, 3, 3, 2_100));
    const estimate = estimator.estimate()!;
    expect(estimate.offsetMs).toBeCloseTo(2_100, 9);
    expect(estimate.samples).toBe(1);
    expect(estimate.accuracyMs).toBeCloseTo(3, 9);
  });

  it('does not let empty bursts push samples out', () => {
    const estimator = new OffsetEstimator({ windowBursts: 2 });
    estimator.beginBurst();
    estimator.add(exchange(0, 1, 1));
    estimator.beginBurst();
    estimator.beginBurst(); // every pong of this burst was discarded
    estimator.beginBurst();
    expect(estimator.estimate()!.offsetMs).toBeCloseTo(TRUE_OFFSET, 9);
  });

  it('forgets everything on clear', () => {
    const estimator = new OffsetEstimator();
    estimator.add(exchange(0, 1, 1));
    estimator.clear();
    expect(estimator.estimate()).toBeNull();
  });
});

describe('timerResolution', () => {
  it('finds the smallest step of a coarse clock', () => {
    let ticks = 0;
    // Advances 0.1 ms every third read, as a coarsened performance.now() does.
    const coarse = () => Math.floor(ticks++ / 3) * 0.1;
    expect(timerResolution(coarse)).toBeCloseTo(0.1, 9);
  });

  it('stops after a step longer than its budget', () => {
    let reads = 0;
    const jumpy = () => (reads++ > 1_000 ? 10 : 0);
    expect(timerResolution(jumpy, 1)).toBe(10);
  });

  it('gives up on a clock that never moves', () => {
    expect(timerResolution(() => 42, 1, 10_000)).toBe(1);
  });
});
