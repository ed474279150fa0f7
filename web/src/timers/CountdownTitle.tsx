/**
 * Keeps `document.title` on the soonest pending timer's countdown
 * (`countdownTitle`), a second at a time — also in hidden tabs, where the
 * title is what shows — and on the page's own title when none is pending.
 * Rendered once by the App; it draws nothing.
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
    let timeout: ReturnType<typeof setTimeout> | undefined;
    const show = () => {
      const at = now();
      document.title = countdownTitle(pending, at, pageTitle);
      if (pending.length > 0) timeout = setTimeout(show, msUntilNextSecond(pending, at));
    };
    show();
    return () => clearTimeout(timeout);
  }, [pending, now, pageTitle]);
  return null;
}
