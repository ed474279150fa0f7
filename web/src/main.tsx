/**
 * Starts the page: picks the zone (the address's ?tz=, else the browser's),
 * connects to the funnel on this origin, prepares the timers (their stream
 * opens when the Timers page is first shown), and renders.
 */

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Beeper, notifyFired } from './alarm';
import { App } from './App';
import { openBrowserEvents } from './browserEvents';
import { openBrowserSocket, socketUrl } from './browserSocket';
import { ClockClient } from './client';
import './styles.css';
import { timerResolution } from './sync';
import { installTestHooks } from './testHooks';
import { TimerApi } from './timerApi';
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

const beeper = new Beeper();
const timers = new TimerStore({
  api: new TimerApi((url, init) => window.fetch(url, init)),
  openEvents: openBrowserEvents,
  now: serverNow,
  onFired: (timer) => {
    beeper.beep();
    notifyFired(timer);
  },
});

installTestHooks(client);
client.start();

// A tab coming back to the front may have slept: measure the offset afresh.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') client.resync();
});

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App client={client} homeZone={ownZone} timers={timers} serverNow={serverNow} onGesture={() => beeper.unlock()} />
  </StrictMode>,
);
