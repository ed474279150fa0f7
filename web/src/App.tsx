/** The page: status, the live clock, the zone picker, clock sync and the services. */

import { useCallback, useMemo, useSyncExternalStore } from 'react';
import type { ClockClient } from './client';
import { LiveClock } from './components/LiveClock';
import { ServicesPanel } from './components/ServicesPanel';
import { StatusLine } from './components/StatusLine';
import { SyncPanel } from './components/SyncPanel';
import { ZonePanel } from './components/ZonePanel';
import { allZones, withZone } from './zones';

interface Props {
  readonly client: ClockClient;
  /** The browser's own zone. */
  readonly homeZone: string;
}

export function App({ client, homeZone }: Props) {
  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot);
  const zones = useMemo(allZones, []);

  const choose = useCallback(
    (zone: string) => {
      client.setZone(zone);
      window.history.replaceState(window.history.state, '', withZone(window.location.href, zone));
    },
    [client],
  );

  return (
    <div className="page">
      <header className="masthead">
        <h1 className="masthead__name">
          <img className="masthead__logo" src="/favicon.svg" alt="" width="24" height="24" />
          Clocker
        </h1>
        <p className="masthead__tagline">A live clock, assembled from microservices</p>
      </header>

      <main className="main">
        <LiveClock client={client} zone={snapshot.zone} live={snapshot.receiving}>
          <StatusLine status={snapshot.status} />
        </LiveClock>

        <div className="panels">
          <ZonePanel
            zones={zones}
            zone={snapshot.zone}
            homeZone={homeZone}
            notice={snapshot.notice}
            onChoose={choose}
          />
          <SyncPanel client={client} sync={snapshot.sync} />
          <ServicesPanel degraded={snapshot.degraded} known={snapshot.receiving} />
        </div>
      </main>

      <footer className="footer">
        <p>
          The time is the server’s clock, measured over the WebSocket the way NTP does it and drawn on
          every screen refresh. The server assembles each frame from five gRPC services; a field whose
          service is down shows as --.
        </p>
      </footer>
    </div>
  );
}
