/**
 * Starts the page: picks the zone (the address's ?tz=, else the browser's),
 * connects to the funnel's WebSocket on this origin, reads where the REST
 * gateway and the stream service are (`/config.json`), prepares the timers
 * (their stream opens when the Timers page is first shown), the random
 * numbers (their stream is open while the Random page is shown) and the
 * services' status (polled while the Status page is shown), and renders.
 */

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { AccountApi } from './account/accountApi';
import { Accounts } from './account/accountSession';
import { Beeper, notifyFired } from './timers/ringing';
import { App } from './app/App';
import { browserEvents } from './shared/browserEvents';
import { openBrowserSocket, socketUrl } from './clock/browserSocket';
import { ClockClient } from './clock/client';
import { loadEndpoints, streamUrl } from './shared/endpoints';
import { RANDOM_STREAM_PATH, RandomStore } from './random/randomStore';
import { SessionStore } from './account/session';
import { StatusStore, browserSchedule, documentVisibility } from './status/statusStore';
import { timerResolution } from './clock/sync';
import { installTestHooks } from './app/testHooks';
import { TimerApi, timerEventsUrl } from './timers/timerApi';
import { storedTimerIds } from './timers/timerIds';
import { TimerStore } from './timers/timerStore';
import { WorldClockApi } from './clock/worldClockApi';
import { browserZone, startZone } from './clock/zones';
import './shared/base.css';
import './account/account.css';
import './clock/clock.css';
import './random/random.css';
import './status/status.css';
import './timers/timers.css';

/** The client timeline: monotonic, sub-millisecond, in unix ms. */
const now = () => performance.timeOrigin + performance.now();

const ownZone = browserZone();
const start = startZone(window.location.search, ownZone);
const client = new ClockClient(
  {
    openSocket: openBrowserSocket,
    socketUrl: (zone) => socketUrl(window.location, zone),
    now,
    wallNow: () => Date.now(),
    fallbackZone: ownZone,
    resolutionMs: timerResolution(() => performance.now()),
  },
  start.zone,
  start.notice,
);

/** The server's clock by the sync estimate; the device's own until there is one. */
const serverNow = () => client.serverNow() ?? Date.now();

installTestHooks(client);
client.start();

// A tab coming back to the front may have slept: measure the offset afresh.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') client.resync();
});

// The clock is already connecting; the rest waits for the addresses (this origin if there are none).
const endpoints = await loadEndpoints((url, init) => window.fetch(url, init));

/** localStorage or sessionStorage, or null where the browser refuses it (some private modes throw). */
function storageOrNull(kind: 'localStorage' | 'sessionStorage'): Storage | null {
  try {
    return window[kind];
  } catch {
    return null;
  }
}

const fetchFromPage = (url: string, init?: RequestInit) => window.fetch(url, init);
const accountApi = new AccountApi(fetchFromPage, endpoints);
// The session lives in this tab (sessionStorage): the token is sent as a bearer header, never in a URL.
const accounts = new Accounts(accountApi, new SessionStore(storageOrNull('sessionStorage')));

const beeper = new Beeper();
const timers = new TimerStore({
  api: new TimerApi(fetchFromPage, endpoints, accounts.session.token),
  openEvents: browserEvents('timer'),
  // The account's stream is opened with the stream service's session cookie (another origin: credentials).
  openAccountEvents: browserEvents('timer', { withCredentials: true }),
  eventsUrl: timerEventsUrl(endpoints),
  ids: storedTimerIds(storageOrNull('localStorage')),
  openStreamSession: (token) => accountApi.openStreamSession(token),
  now: serverNow,
  onFired: (timer) => {
    beeper.beep();
    notifyFired(timer);
  },
});
// The Timers page shows the signed-in account's timers, or this browser's anonymous ones.
timers.setSession(accounts.session.token());
accounts.session.subscribe(() => timers.setSession(accounts.session.token()));
void accounts.check();

const random = new RandomStore({
  openEvents: browserEvents('data'),
  url: streamUrl(endpoints, RANDOM_STREAM_PATH),
  now: serverNow,
});
// On the funnel itself: /status.json is on this origin whatever /config.json says.
const status = new StatusStore({
  fetch: (url, init) => window.fetch(url, init),
  schedule: browserSchedule,
  now: () => Date.now(),
  visibility: documentVisibility,
});

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App
      client={client}
      homeZone={ownZone}
      timers={timers}
      random={random}
      status={status}
      accounts={accounts}
      worldClock={new WorldClockApi(fetchFromPage, endpoints)}
      serverNow={serverNow}
      onGesture={() => beeper.unlock()}
    />
  </StrictMode>,
);
