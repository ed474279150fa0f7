/**
 * The tab's title while a timer is pending: the soonest one's countdown and
 * name, "4:59 · tea — Clocker", so a person sees it from another tab; the
 * page's own title when none is pending.
 */

import { formatCountdownSeconds, timerName } from './countdown';
import type { Timer } from './timerApi';

/** The title for `pending` (soonest first) at `nowMs` on the server's clock. */
export function countdownTitle(pending: readonly Timer[], nowMs: number, pageTitle: string): string {
  const soonest = pending[0];
  if (soonest === undefined) return pageTitle;
  return `${formatCountdownSeconds(soonest.firesAtMs - nowMs)} · ${timerName(soonest)} — Clocker`;
}

/** How long until the title's countdown shows another second (it is rounded up), at least 50 ms. */
export function msUntilNextSecond(pending: readonly Timer[], nowMs: number): number {
  const soonest = pending[0];
  if (soonest === undefined) return 1000;
  const remaining = soonest.firesAtMs - nowMs;
  if (remaining <= 0) return 1000;
  return Math.max(50, remaining % 1000 || 1000);
}
