/**
 * The connection status: a coloured dot and one sentence, always visible.
 * Screen readers hear only changes of state (a separate polite live region),
 * never the seconds of a countdown ticking by.
 */

import { useState } from 'react';
import type { Status } from './connection';
import { useOnline } from '../shared/useOnline';

/** Shown while the browser has no network and no frames arrive: nothing to show the time from. */
const OFFLINE: Status = { state: 'reconnecting', text: 'Offline: no network, so no time to show' };

export function StatusLine({ status: connection }: { readonly status: Status }) {
  const online = useOnline();
  const status = online || connection.state === 'live' ? connection : OFFLINE;
  // A new state, or another set of services down, is news; a countdown is not.
  const news = status.state === 'degraded' ? status.text : status.state;
  const [announced, setAnnounced] = useState({ news, text: status.text });
  if (announced.news !== news) setAnnounced({ news, text: status.text });

  return (
    <>
      <p className="status" data-testid="status" data-state={status.state}>
        <span className="status__dot" aria-hidden="true" />
        <span className="status__text">{status.text}</span>
      </p>
      <p className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announced.text}
      </p>
    </>
  );
}
