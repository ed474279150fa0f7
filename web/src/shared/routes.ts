/**
 * The page's routes: the clock at `/` (with `?tz=` as ever), the world
 * clock at `/world` (`?zones=`), wall-clock mode at `/wall` (`?tz=`), the timers
 * at `/timers`, the random numbers' live stream at `/random`, the
 * supervised services at `/status` and signing in at `/account`. The funnel answers every extension-less
 * path with index.html, so the page routes on the client with history.pushState.
 */

import { sameZone, withZone } from '../clock/zones';

export type Route = 'clock' | 'world' | 'wall' | 'timers' | 'random' | 'status' | 'account' | 'missing';

export const WORLD_HREF = '/world';
export const WALL_HREF = '/wall';
export const TIMERS_HREF = '/timers';
export const RANDOM_HREF = '/random';
export const STATUS_HREF = '/status';
export const ACCOUNT_HREF = '/account';

/** The route a path shows (a trailing slash is ignored). */
export function routeOf(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return 'clock';
  if (path === WORLD_HREF) return 'world';
  if (path === WALL_HREF) return 'wall';
  if (path === TIMERS_HREF) return 'timers';
  if (path === RANDOM_HREF) return 'random';
  if (path === STATUS_HREF) return 'status';
  if (path === ACCOUNT_HREF) return 'account';
  return 'missing';
}

/** The clock page's address: `/`, or `/?tz=Zone` while a zone other than the person's own is shown. */
export function clockHref(zone: string, homeZone: string): string {
  if (sameZone(zone, homeZone)) return '/';
  const url = new URL(withZone('http://page.invalid/', zone));
  return `${url.pathname}${url.search}`;
}

/** What a click on a link does by default, unless it is a plain left click the page can route itself. */
export function isPlainClick(event: {
  readonly button: number;
  readonly metaKey: boolean;
  readonly ctrlKey: boolean;
  readonly shiftKey: boolean;
  readonly altKey: boolean;
  readonly defaultPrevented: boolean;
}): boolean {
  const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
  return event.button === 0 && !modified && !event.defaultPrevented;
}

/** The document title for a route. */
export function titleOf(route: Route): string {
  switch (route) {
    case 'clock':
      return 'Clocker — a live clock';
    case 'world':
      return 'Clocker — world clock';
    case 'wall':
      return 'Clocker — wall clock';
    case 'timers':
      return 'Clocker — timers';
    case 'random':
      return 'Clocker — random numbers';
    case 'status':
      return 'Clocker — status';
    case 'account':
      return 'Clocker — account';
    case 'missing':
      return 'Clocker — no such page';
  }
}
