/**
 * Starts the page, in this order: builds every store (`app/services.ts`),
 * starts the clock's WebSocket (on this origin) and the timers, renders at
 * once, and only then reads where the REST gateway and the stream service
 * are (`/config.json`): the stores that need them say "connecting" until it
 * answers (or, after 3 s or on a failure, use this origin).
 */

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { AppServicesProvider } from './app/AppServices';
import { bootServices } from './app/services';
import { loadEndpoints } from './shared/endpoints';
import './app/serviceWorker';
import './shared/base.css';
import './app/app.css';
import './account/account.css';
import './clock/clock.css';
import './random/random.css';
import './status/status.css';
import './timers/timers.css';

const boot = bootServices();
boot.start();

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <AppServicesProvider services={boot.services}>
      <App />
    </AppServicesProvider>
  </StrictMode>,
);

void loadEndpoints((url, init) => window.fetch(url, init)).then((endpoints) => boot.configure(endpoints));
