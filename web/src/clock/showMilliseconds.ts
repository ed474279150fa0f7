/**
 * Whether clocks show milliseconds: the person's choice (the "Show
 * milliseconds" switch, kept in localStorage), else on unless they asked for
 * reduced motion, since milliseconds rewrite the clock every frame.
 */

import { useSyncExternalStore } from 'react';
import { useReducedMotion } from '../shared/useReducedMotion';

export const SHOW_MS_KEY = 'clocker.showMilliseconds';

const listeners = new Set<() => void>();
/** The choice made on this page, for when storage refuses it. */
let memory: boolean | null = null;

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** The stored choice: true, false, or null when the person has not chosen. */
export function storedChoice(): boolean | null {
  let value: string | null = null;
  try {
    value = storage()?.getItem(SHOW_MS_KEY) ?? null;
  } catch {
    return null;
  }
  return value === 'on' ? true : value === 'off' ? false : null;
}

/** Stores the person's choice and tells every clock. */
export function chooseShowMilliseconds(show: boolean): void {
  try {
    storage()?.setItem(SHOW_MS_KEY, show ? 'on' : 'off');
  } catch {
    // Storage refused (a private mode): the choice lasts until the page closes.
  }
  memory = show;
  for (const listener of listeners) listener();
}

function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  const onStorage = (event: StorageEvent) => event.key === SHOW_MS_KEY && onChange();
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener('storage', onStorage);
  };
}

/** Whether clocks show milliseconds now. */
export function useShowMilliseconds(): boolean {
  const reducedMotion = useReducedMotion();
  const choice = useSyncExternalStore(subscribe, () => storedChoice() ?? memory);
  return choice ?? !reducedMotion;
}
