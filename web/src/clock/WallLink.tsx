/** The link from the clock page to wall-clock mode for the zone shown (`/wall?tz=Zone`), routed on the page. */

import type { MouseEvent } from 'react';
import { WALL_HREF, isPlainClick } from '../shared/routes';
import { navigate } from '../shared/useLocation';
import { withZone } from './zones';

export function WallLink({ zone }: { readonly zone: string }) {
  const url = new URL(withZone(`http://page.invalid${WALL_HREF}`, zone));
  const href = `${url.pathname}${url.search}`;
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (!isPlainClick(event)) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a className="button" href={href} onClick={follow} data-testid="wall-link">
      Wall clock
    </a>
  );
}
