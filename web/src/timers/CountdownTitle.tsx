/**
 * Keeps `document.title` on the soonest pending timer's countdown
 * (`countdownTitle`), a second at a time — also in hidden tabs, where the
 * title is what shows: the ticks come from a worker (`secondTicker.worker.ts`)
 * where there are workers, since a hidden tab's own timers are slowed to once
 * a minute — and on the page's own title when none is pending. Rendered once
 * by the App; it draws nothing.
 */

import { useEffect, useSyncExternalStore } from 'react';
import { countdownTitle, msUntilNextSecond } from './countdownTitle';
import type { TimerStore } from './timerStore';

interface Props {
  readonly store: Pick<TimerStore, 'subscribe' | 'getSnapshot'>;
  /** The server's clock now, unix ms. */
  readonly now: () => number;
  /** The title when no timer is pending. */
  readonly pageTitle: string;
}

export function CountdownTitle({ store, now, pageTitle }: Props) {
  const pending = useSyncExternalStore(store.subscribe, store.getSnapshot).pending;
  useEffect(() => {
    const show = () => {
      const title = countdownTitle(pending, now(), pageTitle);
      if (document.title !== title) document.title = title;
    };
    show();
    if (pending.length === 0) return;
    return tickEverySecond(show, () => msUntilNextSecond(pending, now()));
  }, [pending, now, pageTitle]);
  return null;
}

/**
 * Calls `tick` four times a second from a worker, or, where there are no
 * workers (or the page's policy refuses one), with timers on the page, each
 * `delay()` ms; returns the stop.
 */
function tickEverySecond(tick: () => void, delay: () => number): () => void {
  let timeout: ReturnType<typeof setTimeout> | undefined;
  let worker: Worker | null = null;
  const onPage = () => {
    worker?.terminate();
    worker = null;
    tick();
    timeout = setTimeout(onPage, delay());
  };
  try {
    worker = new Worker(new URL('./secondTicker.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = tick;
    worker.onerror = onPage;
  } catch {
    onPage();
  }
  return () => {
    worker?.terminate();
    clearTimeout(timeout);
  };
}
