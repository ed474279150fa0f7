/**
 * The page's frame: the masthead with the links between pages and the
 * account control, the page the address names (the clock at `/`, the timers
 * at `/timers`, the random numbers at `/random`, the supervised services at
 * `/status`, signing in at `/account`), and the alerts of fired timers, which
 * show on every page (on phones in the flow under the masthead, so they never
 * cover a timer's card).
 */

import { useCallback, useEffect, useRef, useSyncExternalStore, type MouseEvent } from 'react';
import type { Accounts } from '../account/accountSession';
import type { ClockClient } from '../clock/client';
import { AccountControl } from '../account/AccountControl';
import { AccountPage } from '../account/AccountPage';
import { ClockPage } from '../clock/ClockPage';
import { WallPage } from '../clock/WallPage';
import { WorldClockPage, type WorldClockDeps } from '../clock/WorldClockPage';
import { PageNav } from '../shared/PageNav';
import { RandomPage } from '../random/RandomPage';
import { StatusPage } from '../status/StatusPage';
import { TimerAlerts } from '../timers/TimerAlerts';
import { TimersPage } from '../timers/TimersPage';
import { navigate, useLocation } from '../shared/useLocation';
import type { RandomStore } from '../random/randomStore';
import { ACCOUNT_HREF, RANDOM_HREF, STATUS_HREF, TIMERS_HREF, clockHref, isPlainClick, routeOf, titleOf } from '../shared/routes';
import type { StatusStore } from '../status/statusStore';
import type { TimerStore } from '../timers/timerStore';
import { isKnownZone, withZone } from '../clock/zones';

interface Props {
  readonly client: ClockClient;
  /** The browser's own zone. */
  readonly homeZone: string;
  readonly timers: TimerStore;
  readonly random: RandomStore;
  readonly status: StatusStore;
  readonly accounts: Accounts;
  /** The world clock's calls on the gateway. */
  readonly worldClock: WorldClockDeps;
  /** The server's clock now, unix ms (the device's until the clock is synced). */
  readonly serverNow: () => number;
  /** Called on presses that may later want to make a sound. */
  readonly onGesture: () => void;
}

export function App({ client, homeZone, timers, random, status, accounts, worldClock, serverNow, onGesture }: Props) {
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
  const askedZone = route === 'clock' || route === 'wall' ? url.searchParams.get('tz')?.trim() : undefined;
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
        <AccountControl accounts={accounts} onNavigate={navigate} />
      </header>

      <TimerAlerts alerts={alerts} zone={snapshot.zone} onDismiss={timers.dismiss} />

      {route === 'clock' && (
        <ClockPage client={client} snapshot={snapshot} homeZone={homeZone} onChooseZone={choose} />
      )}
      {route === 'world' && (
        <WorldClockPage
          clock={client}
          status={snapshot.status}
          live={snapshot.receiving}
          api={worldClock}
          session={accounts.session}
        />
      )}
      {route === 'wall' && (
        <WallPage client={client} snapshot={snapshot} onLeave={() => navigate(clockHref(snapshot.zone, homeZone))} />
      )}
      {route === 'timers' && (
        <TimersPage store={timers} now={serverNow} zone={snapshot.zone} onGesture={onGesture} />
      )}
      {route === 'random' && <RandomPage store={random} zone={snapshot.zone} />}
      {route === 'status' && <StatusPage store={status} />}
      {route === 'account' && <AccountPage accounts={accounts} zone={snapshot.zone} onNavigate={navigate} />}
      {route === 'missing' && <MissingPage path={url.pathname} />}
    </div>
  );
}

function MissingPage({ path }: { readonly path: string }) {
  const home = (event: MouseEvent<HTMLAnchorElement>) => {
    if (!isPlainClick(event)) return;
    event.preventDefault();
    navigate('/');
  };
  return (
    <main className="main missing" id="main" tabIndex={-1} aria-labelledby="missing-title" data-testid="missing-page">
      <section className="panel missing__panel">
        <p className="missing__code" aria-hidden="true">
          404
        </p>
        <h2 className="page-title" id="missing-title">
          No page here
        </h2>
        <p className="missing__text">
          There is nothing at <code>{path}</code>. The timers are at <a href={TIMERS_HREF}>{TIMERS_HREF}</a>, the random
          numbers at <a href={RANDOM_HREF}>{RANDOM_HREF}</a>, the services’ status at{' '}
          <a href={STATUS_HREF}>{STATUS_HREF}</a> and your account at <a href={ACCOUNT_HREF}>{ACCOUNT_HREF}</a>.
        </p>
        <a className="button button--primary missing__home" href="/" onClick={home} data-testid="missing-home">
          Back to the clock
        </a>
      </section>
    </main>
  );
}
