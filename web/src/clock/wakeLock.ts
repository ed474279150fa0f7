/**
 * Keeping the screen awake while the wall clock is shown: a screen wake
 * lock asked for at once and again each time the page becomes visible (the
 * browser drops it when the page is hidden), released on leaving. Its state
 * says plainly when the browser refuses or has no wake lock. The browser's
 * API and visibility are injected, so it is tested with fakes.
 */

export type WakeLockState = 'asking' | 'held' | 'unavailable';

/** The part of a WakeLockSentinel used here. */
export interface HeldLock {
  release(): Promise<void>;
  addEventListener(type: 'release', listener: () => void): void;
}

export interface WakeLockDeps {
  /** `navigator.wakeLock.request('screen')`, or null where there is no wake lock. */
  readonly request: (() => Promise<HeldLock>) | null;
  readonly isVisible: () => boolean;
  /** Calls `onChange` on every visibility change; returns a function that stops. */
  readonly onVisibilityChange: (onChange: () => void) => () => void;
}

/** What the wall clock says about the screen in each state. */
export const WAKE_LOCK_TEXT: Readonly<Record<WakeLockState, string>> = {
  asking: 'Asking to keep the screen on…',
  held: 'Screen kept on while this page is shown',
  unavailable: 'Screen may sleep: wake lock not available',
};

export class WakeLockKeeper {
  private readonly deps: WakeLockDeps;
  private readonly onState: (state: WakeLockState) => void;
  private lock: HeldLock | null = null;
  private stopWatching: (() => void) | null = null;
  private stopped = false;

  constructor(deps: WakeLockDeps, onState: (state: WakeLockState) => void) {
    this.deps = deps;
    this.onState = onState;
  }

  start(): void {
    this.stopWatching = this.deps.onVisibilityChange(() => {
      if (this.deps.isVisible() && this.lock === null) void this.acquire();
    });
    void this.acquire();
  }

  /** Releases the lock and stops asking. */
  stop(): void {
    this.stopped = true;
    this.stopWatching?.();
    const lock = this.lock;
    this.lock = null;
    void lock?.release().catch(() => {});
  }

  private async acquire(): Promise<void> {
    const request = this.deps.request;
    if (request === null) return this.onState('unavailable');
    if (!this.deps.isVisible()) return;
    this.onState('asking');
    let lock: HeldLock;
    try {
      lock = await request();
    } catch {
      if (!this.stopped) this.onState('unavailable');
      return;
    }
    if (this.stopped) {
      void lock.release().catch(() => {});
      return;
    }
    this.lock = lock;
    this.onState('held');
    lock.addEventListener('release', () => {
      if (this.lock !== lock) return;
      // Dropped by the browser (the page was hidden): asked for again when it is shown.
      this.lock = null;
      if (!this.stopped) this.onState('asking');
    });
  }
}

/** The browser's wake lock and visibility. */
export function browserWakeLockDeps(): WakeLockDeps {
  const wakeLock = 'wakeLock' in navigator ? navigator.wakeLock : undefined;
  return {
    request: wakeLock ? () => wakeLock.request('screen') : null,
    isVisible: () => document.visibilityState === 'visible',
    onVisibilityChange: (onChange) => {
      document.addEventListener('visibilitychange', onChange);
      return () => document.removeEventListener('visibilitychange', onChange);
    },
  };
}
