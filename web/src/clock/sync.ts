/**
 * NTP-style clock synchronisation, kept pure: no DOM, no timers, no clock of
 * its own — every time is handed in.
 *
 * One sample is one ping/pong exchange:
 *   t0  the client sends the ping      (client timeline)
 *   t1  the server receives it         (server clock)
 *   t2  the server sends the pong      (server clock)
 *   t3  the client receives the pong   (client timeline)
 * all in unix milliseconds. From it:
 *   offset θ = ((t1 − t0) + (t2 − t3)) / 2   the server clock minus the client's
 *   delay  δ = (t3 − t0) − (t2 − t1)         the time spent on the wire
 * However δ splits between the two directions, the true offset lies within
 * θ ± δ/2, so the sample with the lowest δ bounds the offset most tightly.
 */

/** One exchange as received: the server's times are null while it does not know its clock. */
export interface RawSample {
  readonly t0: number;
  readonly t1: number | null;
  readonly t2: number | null;
  readonly t3: number;
}

export interface SyncSample {
  readonly t0: number;
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
}

export interface Measurement {
  /** Server clock minus client clock, ms. */
  readonly offsetMs: number;
  /** Round-trip time on the wire, ms (never negative). */
  readonly delayMs: number;
}

export interface SyncEstimate {
  /** Server clock minus client timeline, ms. */
  readonly offsetMs: number;
  /** The true offset lies within offsetMs ± accuracyMs. */
  readonly accuracyMs: number;
  /** Round-trip delay of the sample the estimate comes from, ms. */
  readonly delayMs: number;
  /** Samples currently held (the estimate is the best of them). */
  readonly samples: number;
}

/** θ and δ of one exchange. */
export function measure(sample: SyncSample): Measurement {
  const { t0, t1, t2, t3 } = sample;
  const offsetMs = (t1 - t0 + (t2 - t3)) / 2;
  // Coarse timers can make a very fast exchange look shorter than the time
  // the server held it; a delay below zero means "too short to measure".
  const delayMs = Math.max(0, t3 - t0 - (t2 - t1));
  return { offsetMs, delayMs };
}

/** The sample with its server times present and every time consistent, or null. */
export function validSample(raw: RawSample): SyncSample | null {
  const { t0, t1, t2, t3 } = raw;
  if (t1 === null || t2 === null) return null;
  if (![t0, t1, t2, t3].every(Number.isFinite)) return null;
  if (t3 < t0 || t2 < t1) return null;
  return { t0, t1, t2, t3 };
}

export interface EstimatorOptions {
  /** How many bursts (the current one included) the estimate draws on. */
  readonly windowBursts?: number;
  /** The client timer's resolution, ms: every bound is widened by it. */
  readonly resolutionMs?: number;
  /** How fast a sample's bound widens with age, ms per second (clocks drift). */
  readonly driftMsPerSec?: number;
}

/** 50 ppm: well above what a quartz oscillator drifts (NTP assumes 15 ppm). */
export const DRIFT_MS_PER_SEC = 0.05;

/** A measurement and when it was taken (t3, client timeline). */
interface Held {
  readonly measurement: Measurement;
  readonly at: number;
}

/**
 * Keeps the samples of the last few bursts and estimates the offset from the
 * one with the tightest bound, where a sample's bound (δ/2) widens with its
 * age, so the estimate follows a drifting clock. A sample whose interval
 * θ ± δ/2 cannot overlap the estimate's means a clock was stepped (a
 * restarted server, a device that slept): the older samples are dropped.
 */
export class OffsetEstimator {
  private readonly windowBursts: number;
  private readonly resolutionMs: number;
  private readonly driftMsPerSec: number;
  /** Oldest first; the last one is the burst being filled. */
  private bursts: Held[][] = [[]];

  constructor(options: EstimatorOptions = {}) {
    this.windowBursts = Math.max(1, options.windowBursts ?? 4);
    this.resolutionMs = Math.max(0, options.resolutionMs ?? 0);
    this.driftMsPerSec = Math.max(0, options.driftMsPerSec ?? DRIFT_MS_PER_SEC);
  }

  /** Starts a new burst; the oldest burst leaves the window once it is full. */
  beginBurst(): void {
    const current = this.bursts[this.bursts.length - 1];
    if (current !== undefined && current.length === 0) return; // reuse an empty burst
    this.bursts.push([]);
    if (this.bursts.length > this.windowBursts) {
      this.bursts = this.bursts.slice(-this.windowBursts);
    }
  }

  /** Adds one exchange to the current burst; null when it is discarded. */
  add(raw: RawSample): Measurement | null {
    const sample = validSample(raw);
    if (sample === null) return null;
    const measurement = measure(sample);
    const held = { measurement, at: sample.t3 };
    const current = this.best(sample.t3);
    if (current !== null) {
      const gap = Math.abs(measurement.offsetMs - current.measurement.offsetMs);
      if (gap > current.boundMs + this.boundOf(measurement)) {
        this.bursts = [[held]];
        return measurement;
      }
    }
    this.bursts[this.bursts.length - 1]?.push(held);
    return measurement;
  }

  /** Samples held across the window. */
  get sampleCount(): number {
    return this.bursts.reduce((count, burst) => count + burst.length, 0);
  }

  /** Forgets every sample (e.g. on moving to another server). */
  clear(): void {
    this.bursts = [[]];
  }

  /** The best sample's offset and bound as of the newest sample, or null before any. */
  estimate(): SyncEstimate | null {
    const newest = Math.max(...this.bursts.flat().map((held) => held.at));
    const best = this.best(newest);
    if (best === null) return null;
    return {
      offsetMs: best.measurement.offsetMs,
      accuracyMs: best.boundMs,
      delayMs: best.measurement.delayMs,
      samples: this.sampleCount,
    };
  }

  /**
   * How far a fresh measurement's offset may be from the truth: half its
   * round trip, plus the timer's resolution, since t0 and t3 are each read
   * up to one step late (a very fast exchange can even measure δ = 0).
   */
  private boundOf(measurement: Measurement): number {
    return measurement.delayMs / 2 + this.resolutionMs;
  }

  /** The held sample with the tightest bound at time `now`, and that bound. */
  private best(now: number): { measurement: Measurement; boundMs: number } | null {
    let best: { measurement: Measurement; boundMs: number } | null = null;
    for (const { measurement, at } of this.bursts.flat()) {
      const ageSec = Math.max(0, now - at) / 1000;
      const boundMs = this.boundOf(measurement) + ageSec * this.driftMsPerSec;
      if (best === null || boundMs < best.boundMs) best = { measurement, boundMs };
    }
    return best;
  }
}

/**
 * The smallest step `now` is seen to take, ms: browsers coarsen
 * performance.now() (to 0.1 ms or more) to blunt timing attacks. Spins for at
 * most `budgetMs` or `maxReads` reads; 1 ms when the clock is not seen to move.
 */
export function timerResolution(now: () => number, budgetMs = 3, maxReads = 200_000): number {
  const start = now();
  let previous = start;
  let smallest = Infinity;
  let steps = 0;
  for (let reads = 0; steps < 8 && reads < maxReads; reads++) {
    const current = now();
    if (current !== previous) {
      smallest = Math.min(smallest, current - previous);
      previous = current;
      steps += 1;
    }
    if (current - start > budgetMs) break;
  }
  return Number.isFinite(smallest) && smallest > 0 ? smallest : 1;
}
