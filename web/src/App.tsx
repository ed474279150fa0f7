/**
 * The page's frame: the masthead with the links between pages, the page the
 * address names (the clock at `/`, the timers at `/timers`, the random
 * numbers at `/random`, the supervised services at `/status`), and the
 * alerts of fired timers, which show on every page.
 */

import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import type { ClockClient } from './client';
import { ClockPage } from './components/ClockPage';
import { PageNav } from './components/PageNav';
import { RandomPage } from './components/RandomPage';
import { StatusPage } from './components/StatusPage';
import { TimerAlerts } from './components/TimerAlerts';
import { TimersPage } from './components/TimersPage';
import { navigate, useLocation } from './hooks/useLocation';
import type { RandomStore } from './randomStore';
import { RANDOM_HREF, STATUS_HREF, TIMERS_HREF, clockHref, routeOf, titleOf } from './routes';
import type { StatusStore } from './statusStore';
import type { TimerStore } from './timerStore';
import { isKnownZone, withZone } from './zones';

interface Props {
  readonly client: ClockClient;
  /** The browser's own zone. */
  readonly homeZone: string;
  readonly timers: TimerStore;
  readonly random: RandomStore;
  readonly status: StatusStore;
  /** The server's clock now, unix ms (the device's until the clock is synced). */
  readonly serverNow: () => number;
  /** Called on presses that may later want to make a sound. */
  readonly onGesture: () => void;
}

export function App({ client, homeZone, timers, random, status, serverNow, onGesture }: Props) {
  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot);
  const alerts = useSyncExternalStore(timers.subscribe, timers.getSnapshot).alerts;
  const location = useLocation();
  const url = new URL(location, 'http://page.invalid');
  const route = routeOf(url.pathname);

  const choose = useCallback(
    (zone: string) => {
      client.setZone(zone);
      window.history.replaceState(window.history.state, '', withZone(window.location.href, zone));
    },
    [client],
  );

  // Back or forward to a clock address naming another zone: show that zone.
  const askedZone = route === 'clock' ? url.searchParams.get('tz')?.trim() : undefined;
  useEffect(() => {
    if (askedZone && isKnownZone(askedZone)) client.setZone(askedZone);
  }, [client, askedZone]);

  // A new page: its title, and focus on it (for keyboards and screen readers), except on load.
  const firstRoute = useRef(true);
  useEffect(() => {
    document.title = titleOf(route);
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [route]);

  return (
    <div className="page">
      <header className="masthead">
        <h1 className="masthead__name">
          <img className="masthead__logo" src="/favicon.svg" alt="" width="24" height="24" />
          Clocker
        </h1>
        <p className="masthead__tagline">A live clock, assembled from microservices</p>
        <PageNav route={route} clockHref={clockHref(snapshot.zone, homeZone)} onNavigate={navigate} />
      </header>

      {route === 'clock' && (
        <ClockPage client={client} snapshot={snapshot} homeZone={homeZone} onChooseZone={choose} />
      )}
      {route === 'timers' && (
        <TimersPage store={timers} now={serverNow} zone={snapshot.zone} onGesture={onGesture} />
      )}
      {route === 'random' && <RandomPage store={random} zone={snapshot.zone} />}
      {route === 'status' && <StatusPage store={status} />}
      {route === 'missing' && <MissingPage path={url.pathname} />}

      <TimerAlerts alerts={alerts} onDismiss={timers.dismiss} />
    </div>
  );
}

function MissingPage({ path }: { readonly path: string }) {
  return (
    <main className="main missing" id="main" tabIndex={-1} aria-labelledby="missing-title">
      <h2 className="timers__title" id="missing-title">
        No page here
      </h2>
      <p>
        There is nothing at <code>{path}</code>. The clock is at <a href="/">/</a>, the timers are at{' '}
        <a href={TIMERS_HREF}>{TIMERS_HREF}</a>, the random numbers at <a href={RANDOM_HREF}>{RANDOM_HREF}</a>{' '}
        and the services’ status at <a href={STATUS_HREF}>{STATUS_HREF}</a>.
      </p>
    </main>
  );
}
