/**
 * Reconnect delays: exponential backoff with full jitter. The n-th retry in a
 * row waits a uniformly random time in [0, min(cap, base × 2^(n−1))), so a
 * crowd of pages that lost the server together does not return in lockstep.
 */

export interface BackoffOptions {
  /** Ceiling of the first retry's delay, ms. */
  readonly baseMs?: number;
  /** No delay is longer than this, ms. */
  readonly capMs?: number;
  /** A connection that delivered frames this long starts the count afresh, ms. */
  readonly resetAfterMs?: number;
  /** Uniform in [0, 1); Math.random unless a test injects another. */
  readonly random?: () => number;
}

export interface Retry {
  /** 1 for the first retry after a connection was lost. */
  readonly attempt: number;
  readonly delayMs: number;
}

/** The upper bound of the delay before retry `attempt` (1-based). */
export function backoffCeiling(attempt: number, baseMs: number, capMs: number): number {
  // 2^(attempt−1) overflows to Infinity long after it passes the cap; min() copes.
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export class Backoff {
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly resetAfterMs: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 250;
    this.capMs = options.capMs ?? 10_000;
    this.resetAfterMs = options.resetAfterMs ?? 10_000;
    this.random = options.random ?? Math.random;
  }

  /**
   * The next retry after a connection was lost or could not be made.
   * `liveForMs` is how long it delivered frames (0 if it never did).
   */
  next(liveForMs = 0): Retry {
    if (liveForMs >= this.resetAfterMs) this.reset();
    this.failures += 1;
    const ceiling = backoffCeiling(this.failures, this.baseMs, this.capMs);
    return { attempt: this.failures, delayMs: this.random() * ceiling };
  }

  /** Forgets past failures. */
  reset(): void {
    this.failures = 0;
  }
}
