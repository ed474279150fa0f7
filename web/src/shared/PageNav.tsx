/** Links between the pages; a plain click routes on the page instead of loading it again. */

import type { MouseEvent } from 'react';
import { RANDOM_HREF, STATUS_HREF, TIMERS_HREF, WORLD_HREF, isPlainClick, type Route } from './routes';

interface Props {
  readonly route: Route;
  /** The clock page's address (it keeps the zone shown). */
  readonly clockHref: string;
  readonly onNavigate: (href: string) => void;
}

export function PageNav({ route, clockHref, onNavigate }: Props) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (!isPlainClick(event)) return;
    event.preventDefault();
    onNavigate(event.currentTarget.getAttribute('href') ?? '/');
  };
  const link = (href: string, to: Route, text: string) => (
    <li>
      <a className="nav__link" href={href} aria-current={route === to ? 'page' : undefined} onClick={follow}>
        {text}
      </a>
    </li>
  );
  return (
    <nav className="nav" aria-label="Pages">
      <ul className="nav__list">
        {link(clockHref, 'clock', 'Clock')}
        {link(WORLD_HREF, 'world', 'World')}
        {link(TIMERS_HREF, 'timers', 'Timers')}
        {link(RANDOM_HREF, 'random', 'Random')}
        {link(STATUS_HREF, 'status', 'Status')}
      </ul>
    </nav>
  );
}
