/**
 * UTC offset labels for the zone list. Each zone needs its own Intl
 * formatter, and making ~420 of them takes a noticeable moment, so they are
 * made ahead of time, a few at a time, while the browser is idle.
 */

import { formatUtcOffset, zoneClock } from '../shared/format';

/** "UTC+05:30" for `zone` at `epochMs`, or "" for a zone Intl does not know. */
export function offsetLabel(zone: string, epochMs: number): string {
  const clock = zoneClock(zone);
  return clock === null ? '' : formatUtcOffset(clock.offsetAt(epochMs));
}

/** Works out every zone's offset in idle moments; returns a function that stops it. */
export function prewarmOffsets(zones: readonly string[]): () => void {
  let next = 0;
  let stopped = false;
  const step = (hasTime: () => boolean) => {
    const now = Date.now();
    while (!stopped && next < zones.length && hasTime()) offsetLabel(zones[next++]!, now);
    if (!stopped && next < zones.length) schedule();
  };
  const schedule = () => {
    if (typeof window.requestIdleCallback === 'function') {
      window.requestIdleCallback((deadline) => step(() => deadline.timeRemaining() > 1));
    } else {
      const until = performance.now() + 8;
      window.setTimeout(() => step(() => performance.now() < until), 50);
    }
  };
  schedule();
  return () => {
    stopped = true;
  };
}
