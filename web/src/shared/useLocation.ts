/**
 * The address bar as React state: the path and query, kept current through
 * back/forward (popstate) and the page's own navigation (`navigate`).
 */

import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  window.addEventListener('popstate', onChange);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener('popstate', onChange);
  };
}

const current = () => `${window.location.pathname}${window.location.search}`;

/** `/timers`, `/?tz=Asia/Tokyo`: path and query of the page's address. */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, current);
}

/** Shows `href` (a path on this origin) as a new history entry. */
export function navigate(href: string): void {
  if (href === current()) return;
  window.history.pushState(null, '', href);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}
