/**
 * Builds every store the page has, once, at boot: the clock client (its
 * WebSocket is on this origin, so it starts at once), the session and
 * accounts, the timers (started at once, so a timer that fires alerts on
 * whatever page is shown), the random numbers and the services' status
 * (their pages start and stop them: a stream ten events a second and a poll
 * every second are only worth it while shown). Where the REST gateway and the
 * stream service are (`/config.json`) arrives later: the API clients wait for
 * it (`afterReady`), the streams open once `configure` gives it; until then
 * they say "connecting".
 */

import { AccountApi } from '../account/accountApi';
import { Accounts } from '../account/accountSession';
import { SessionStore } from '../account/session';
import { openBrowserSocket, socketUrl } from '../clock/browserSocket';
import { ClockClient } from '../clock/client';
import { timerResolution } from '../clock/sync';
import { WorldClockApi } from '../clock/worldClockApi';
import type { WorldClockDeps } from '../clock/WorldClockPage';
import { browserZone, startZone } from '../clock/zones';
import { RANDOM_STREAM_PATH, RandomStore } from '../random/randomStore';
import { afterReady } from '../shared/afterReady';
import { browserEvents } from '../shared/browserEvents';
import { streamUrl, type Endpoints } from '../shared/endpoints';
import { StatusStore, browserSchedule, documentVisibility } from '../status/statusStore';
import { AlarmApi, type NextAlarm } from '../timers/alarmApi';
import { AlertSound } from '../timers/alertSound';
import { Beeper, notifyFired } from '../timers/ringing';
import { TimerApi, timerEventsUrl } from '../timers/timerApi';
import { storedTimerIds } from '../timers/timerIds';
import { TimerStore } from '../timers/timerStore';

export interface AppServices {
  readonly clock: ClockClient;
  /** The browser's own zone. */
  readonly homeZone: string;
  readonly accounts: Accounts;
  readonly timers: TimerStore;
  readonly random: RandomStore;
  readonly status: StatusStore;
  /** The world clock's calls on the gateway. */
  readonly worldClock: WorldClockDeps;
  /** The server's clock now, unix ms (the device's until the clock is synced). */
  readonly serverNow: () => number;
  /** Called on presses that may later want to make a sound. */
  readonly onGesture: () => void;
  /** The fired timers' beep, and whether the browser blocked it. */
  readonly sound: AlertSound;
  /** When a time of day next comes in a zone, for alarms (`GET /api/time/next`). */
  readonly nextAlarm: (at: string, zone: string) => Promise<NextAlarm>;
}

export interface BootedServices {
  readonly services: AppServices;
  /** Starts what runs all the time (the clock, the timers, the session check). */
  start(): void;
  /** Points the streams and API clients at the services `/config.json` names. */
  configure(endpoints: Endpoints): void;
}

/** The client timeline: monotonic, sub-millisecond, in unix ms. */
const now = () => performance.timeOrigin + performance.now();

/** localStorage or sessionStorage, or null where the browser refuses it (some private modes throw). */
function storageOrNull(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

export function bootServices(): BootedServices {
  const homeZone = browserZone();
  const start = startZone(window.location.search, homeZone);
  const clock = new ClockClient(
    {
      openSocket: openBrowserSocket,
      socketUrl: (zone) => socketUrl(window.location, zone),
      now,
      wallNow: () => Date.now(),
      fallbackZone: homeZone,
      resolutionMs: timerResolution(() => performance.now()),
    },
    start.zone,
    start.notice,
  );
  const serverNow = () => clock.serverNow() ?? Date.now();

  let giveEndpoints: (endpoints: Endpoints) => void = () => {};
  const endpoints = new Promise<Endpoints>((resolve) => (giveEndpoints = resolve));
  const fetchFromPage = (url: string, init?: RequestInit) => window.fetch(url, init);
  const accountApi = afterReady(endpoints.then((known) => new AccountApi(fetchFromPage, known)));
  // The session lives in this tab (sessionStorage): the token is sent as a bearer header, never in a URL.
  const accounts = new Accounts(accountApi, new SessionStore(storageOrNull('sessionStorage')));

  const beeper = new Beeper();
  const sound = new AlertSound(beeper);
  const alarms = afterReady(endpoints.then((known) => new AlarmApi(fetchFromPage, known)));
  const timers = new TimerStore({
    api: afterReady(endpoints.then((known) => new TimerApi(fetchFromPage, known, accounts.session.token))),
    openEvents: browserEvents('timer'),
    // The account's stream is opened with the stream service's session cookie (another origin: credentials).
    openAccountEvents: browserEvents('timer', { withCredentials: true }),
    ids: storedTimerIds(storageOrNull('localStorage')),
    openStreamSession: (token) => accountApi.openStreamSession(token),
    now: serverNow,
    onFired: (timer) => {
      void sound.ring();
      notifyFired(timer);
    },
  });
  const random = new RandomStore({ openEvents: browserEvents('data'), now: serverNow });
  // On the funnel itself: /status.json is on this origin whatever /config.json says.
  const status = new StatusStore({
    fetch: fetchFromPage,
    schedule: browserSchedule,
    now: () => Date.now(),
    visibility: documentVisibility,
  });

  return {
    services: {
      clock,
      homeZone,
      accounts,
      timers,
      random,
      status,
      worldClock: afterReady(endpoints.then((known) => new WorldClockApi(fetchFromPage, known))),
      serverNow,
      onGesture: () => beeper.unlock(),
      sound,
      nextAlarm: alarms.next,
    },
    start() {
      clock.start();
      // Browsers allow sound after a click or key press on the page: any one unlocks it.
      sound.unlockOnGesture(document);
      // A tab coming back to the front may have slept: measure the offset afresh.
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') clock.resync();
      });
      // The timers shown are the signed-in account's, or this browser's anonymous ones.
      timers.setSession(accounts.session.token());
      accounts.session.subscribe(() => timers.setSession(accounts.session.token()));
      timers.start();
      void accounts.check();
    },
    configure(known) {
      giveEndpoints(known);
      timers.configure(timerEventsUrl(known));
      random.configure(streamUrl(known, RANDOM_STREAM_PATH));
    },
  };
}
