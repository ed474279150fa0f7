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
import { Beeper, notifyFired } from './alarm';
import { App } from './App';
import { browserEvents } from './browserEvents';
import { openBrowserSocket, socketUrl } from './browserSocket';
import { ClockClient } from './client';
import { loadEndpoints, streamUrl } from './endpoints';
import './random.css';
import { RANDOM_STREAM_PATH, RandomStore } from './randomStore';
import './status.css';
import { StatusStore, browserSchedule, documentVisibility } from './statusStore';
import './styles.css';
import { timerResolution } from './sync';
import { installTestHooks } from './testHooks';
import { TimerApi, timerEventsUrl } from './timerApi';
import { storedTimerIds } from './timerIds';
import './timers.css';
import { TimerStore } from './timerStore';
import { browserZone, startZone } from './zones';

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

/** localStorage, or null where the browser refuses it (some private modes throw). */
function localStorageOrNull(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

const beeper = new Beeper();
const timers = new TimerStore({
  api: new TimerApi((url, init) => window.fetch(url, init), endpoints),
  openEvents: browserEvents('timer'),
  eventsUrl: timerEventsUrl(endpoints),
  ids: storedTimerIds(localStorageOrNull()),
  now: serverNow,
  onFired: (timer) => {
    beeper.beep();
    notifyFired(timer);
  },
});
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
      serverNow={serverNow}
      onGesture={() => beeper.unlock()}
    />
  </StrictMode>,
);
