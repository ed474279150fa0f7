/**
 * The page's frame: the masthead with the links between pages and the
 * account control, the page the address names (the clock at `/`, the timers
 * at `/timers`, the random numbers at `/random`, the supervised services at
 * `/status`, signing in at `/account`, the world clock at `/world`, the wall
 * clock at `/wall`), the alerts of fired timers, which
 * show on every page (on phones in the flow under the masthead, so they never
 * cover a timer's card), and the keyboard shortcuts with their help. The
 * stores come from `AppServices`; the frame reads only the zone and the
 * alerts, so it does not re-render on every change of the clock.
 */

import { useCallback, useEffect, useRef, useState, useSyncExternalStore, type MouseEvent } from 'react';
import { AccountControl } from '../account/AccountControl';
import { AccountPage } from '../account/AccountPage';
import { ClockPage } from '../clock/ClockPage';
import { WallPage } from '../clock/WallPage';
import { WorldClockPage } from '../clock/WorldClockPage';
import { isKnownZone, withZone } from '../clock/zones';
import { RandomPage } from '../random/RandomPage';
import { PageNav } from '../shared/PageNav';
import { ACCOUNT_HREF, RANDOM_HREF, STATUS_HREF, TIMERS_HREF, clockHref, isPlainClick, routeOf, titleOf, type Route } from '../shared/routes';
import { navigate, useLocation } from '../shared/useLocation';
import { StatusPage } from '../status/StatusPage';
import { CountdownTitle } from '../timers/CountdownTitle';
import { TimerAlerts } from '../timers/TimerAlerts';
import { TimersPage } from '../timers/TimersPage';
import { useClock, useServices, useTimers } from './AppServices';
import { HelpDialog } from './HelpDialog';
import type { ShortcutAction } from './shortcuts';
import { useShortcuts } from './useShortcuts';

/** Where each shortcut that leads to a page puts focus once that page is shown. */
export const ZONE_SEARCH = '[data-testid="zone-picker"]';
export const NEW_TIMER = '[data-testid="timer-form"] input';

export function App() {
  const { clock, homeZone, timers, serverNow, sound } = useServices();
  const zone = useClock((snapshot) => snapshot.zone);
  const alerts = useTimers((snapshot) => snapshot.alerts);
  const soundBlocked = useSyncExternalStore(sound.subscribe, sound.blocked);
  const location = useLocation();
  const url = new URL(location, 'http://page.invalid');
  const route = routeOf(url.pathname);
  const [helpOpen, setHelpOpen] = useState(false);

  const choose = useCallback(
    (chosen: string) => {
      clock.setZone(chosen);
      window.history.replaceState(window.history.state, '', withZone(window.location.href, chosen));
    },
    [clock],
  );

  // Back or forward to a clock address naming another zone: show that zone.
  const askedZone = route === 'clock' || route === 'wall' ? url.searchParams.get('tz')?.trim() : undefined;
  useEffect(() => {
    if (askedZone && isKnownZone(askedZone)) clock.setZone(askedZone);
  }, [clock, askedZone]);

  // A new page: focus on it (for keyboards and screen readers), except on load;
  // a shortcut that led here focuses its field instead. Its title: <CountdownTitle>.
  const firstRoute = useRef(true);
  const focusAfterRoute = useRef<string | null>(null);
  useEffect(() => {
    const wanted = focusAfterRoute.current;
    focusAfterRoute.current = null;
    if (wanted !== null) {
      document.querySelector<HTMLElement>(wanted)?.focus();
      firstRoute.current = false;
      return;
    }
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [route]);

  /** Shows page `target` (at `href`) and focuses `selector` on it. */
  const goAndFocus = (target: Route, href: string, selector: string) => {
    if (route === target) {
      document.querySelector<HTMLElement>(selector)?.focus();
      return;
    }
    focusAfterRoute.current = selector;
    navigate(href);
  };

  useShortcuts((action: ShortcutAction) => {
    if (helpOpen) return; // the help is modal: the page behind it stays as it is
    if (action === 'help') setHelpOpen(true);
    else if (action === 'zone-search') goAndFocus('clock', clockHref(zone, homeZone), ZONE_SEARCH);
    else goAndFocus('timers', TIMERS_HREF, NEW_TIMER);
  });

  return (
    <div className="page">
      <header className="masthead">
        <h1 className="masthead__name">
          <img className="masthead__logo" src="/favicon.svg" alt="" width="24" height="24" />
          Clocker
        </h1>
        <p className="masthead__tagline">A live clock, assembled from microservices</p>
        <PageNav route={route} clockHref={clockHref(zone, homeZone)} onNavigate={navigate} />
        <AccountControl onNavigate={navigate} />
      </header>

      <CountdownTitle store={timers} now={serverNow} pageTitle={titleOf(route)} />
      <TimerAlerts
        alerts={alerts}
        zone={zone}
        onDismiss={timers.dismiss}
        soundBlocked={soundBlocked}
        onPlaySound={sound.play}
      />

      {route === 'clock' && <ClockRoute homeZone={homeZone} onChooseZone={choose} />}
      {route === 'world' && <WorldRoute />}
      {route === 'wall' && <WallRoute onLeave={() => navigate(clockHref(zone, homeZone))} />}
      {route === 'timers' && <TimersPage zone={zone} />}
      {route === 'random' && <RandomPage zone={zone} />}
      {route === 'status' && <StatusPage />}
      {route === 'account' && <AccountPage zone={zone} onNavigate={navigate} />}
      {route === 'missing' && <MissingPage path={url.pathname} />}

      <p className="shortcut-hint" data-testid="shortcut-hint">
        Press <kbd>?</kbd> for keyboard shortcuts
      </p>
      <HelpDialog open={helpOpen} onClose={() => setHelpOpen(false)} />
    </div>
  );
}

/** The clock page, the one part of the frame that follows every change of the clock's snapshot. */
function ClockRoute({ homeZone, onChooseZone }: { readonly homeZone: string; readonly onChooseZone: (zone: string) => void }) {
  const { clock } = useServices();
  const snapshot = useClock((whole) => whole);
  return <ClockPage client={clock} snapshot={snapshot} homeZone={homeZone} onChooseZone={onChooseZone} />;
}

/** The world clock, with the clock's status (re-rendered when that changes). */
function WorldRoute() {
  const { clock, worldClock, accounts } = useServices();
  const status = useClock((snapshot) => snapshot.status);
  const live = useClock((snapshot) => snapshot.receiving);
  return <WorldClockPage clock={clock} status={status} live={live} api={worldClock} session={accounts.session} />;
}

/** Wall-clock mode, following every change of the clock's snapshot as the clock page does. */
function WallRoute({ onLeave }: { readonly onLeave: () => void }) {
  const { clock } = useServices();
  const snapshot = useClock((whole) => whole);
  return <WallPage client={clock} snapshot={snapshot} onLeave={onLeave} />;
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
