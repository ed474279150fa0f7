/**
 * Focus for the alerts of fired timers: the newest alert takes focus (so a
 * keyboard or screen reader user is on it at once), and when the alerts are
 * dismissed focus goes back where it was before the first of them took it
 * (or to the page's `#main` when that element is gone).
 */

import { useCallback, useLayoutEffect, useRef } from 'react';

/** Where focus goes when the element it came from is gone. */
const FALLBACK_ID = 'main';

export interface AlertFocus {
  /** The ref callback for the alert card with `id`. */
  readonly cardRef: (id: string) => (element: HTMLElement | null) => void;
  /** Call before `id` is dismissed: focus moves to the next alert, or back where it was. */
  readonly beforeDismiss: (id: string) => void;
  /** Call once the sound notice (with its focused button) is gone: focus stays on the card. */
  readonly keepOn: (id: string) => void;
}

export function useAlertFocus(ids: readonly string[]): AlertFocus {
  const cards = useRef(new Map<string, HTMLElement>());
  /** The alerts already shown (and focused once). */
  const seen = useRef(new Set<string>());
  /** Where focus was before an alert took it; null while no alert holds it. */
  const returnTo = useRef<Element | null>(null);

  const newest = ids.at(-1);
  useLayoutEffect(() => {
    for (const id of seen.current) if (!ids.includes(id)) seen.current.delete(id);
    if (newest === undefined || seen.current.has(newest)) return;
    for (const id of ids) seen.current.add(id);
    const active = document.activeElement;
    const inAlerts = [...cards.current.values()].some((card) => card.contains(active));
    if (!inAlerts) returnTo.current = active;
    cards.current.get(newest)?.focus({ preventScroll: false });
  }, [ids, newest]);

  const cardRef = useCallback(
    (id: string) => (element: HTMLElement | null) => {
      if (element === null) cards.current.delete(id);
      else cards.current.set(id, element);
    },
    [],
  );

  const beforeDismiss = useCallback(
    (id: string) => {
      const card = cards.current.get(id);
      if (card === undefined || !card.contains(document.activeElement)) return;
      const next = [...ids].reverse().find((other) => other !== id);
      if (next !== undefined) {
        cards.current.get(next)?.focus();
        return;
      }
      const back = returnTo.current;
      returnTo.current = null;
      if (back instanceof HTMLElement && back.isConnected && back !== document.body) back.focus();
      else document.getElementById(FALLBACK_ID)?.focus();
    },
    [ids],
  );

  const keepOn = useCallback((id: string) => cards.current.get(id)?.focus(), []);

  return { cardRef, beforeDismiss, keepOn };
}
