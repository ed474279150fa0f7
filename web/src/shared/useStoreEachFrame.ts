/**
 * `useStore` for a store that changes faster than people can read (the
 * random numbers, ten a second): the component takes the store's latest
 * value at most once per animation frame, and not at all while the tab is
 * hidden (it catches up when the tab is shown again).
 */

import { useEffect, useState } from 'react';
import type { Readable } from './store';

export function useStoreEachFrame<T>(store: Readable<T>): T {
  const [value, setValue] = useState(store.getSnapshot);
  useEffect(() => {
    let frame: number | null = null;
    const flush = () => {
      frame = null;
      setValue(store.getSnapshot());
    };
    const schedule = () => {
      if (frame !== null || document.visibilityState === 'hidden') return;
      frame = window.requestAnimationFrame(flush);
    };
    const unsubscribe = store.subscribe(schedule);
    document.addEventListener('visibilitychange', schedule);
    schedule(); // a change between the first render and subscribing
    return () => {
      unsubscribe();
      document.removeEventListener('visibilitychange', schedule);
      if (frame !== null) window.cancelAnimationFrame(frame);
    };
  }, [store]);
  return value;
}
