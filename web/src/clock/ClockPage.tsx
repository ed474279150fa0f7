/** The clock page (`/`): status, the live clock, the zone picker, clock sync and the services. */

import { useMemo } from 'react';
import type { ClockClient, ClientSnapshot } from './client';
import { allZones } from './zones';
import { LiveClock } from './LiveClock';
import { ServicesPanel } from './ServicesPanel';
import { StatusLine } from './StatusLine';
import { SyncPanel } from './SyncPanel';
import { ZonePanel } from './ZonePanel';

interface Props {
  readonly client: ClockClient;
  readonly snapshot: ClientSnapshot;
  /** The browser's own zone. */
  readonly homeZone: string;
  readonly onChooseZone: (zone: string) => void;
}

export function ClockPage({ client, snapshot, homeZone, onChooseZone }: Props) {
  const zones = useMemo(allZones, []);
  return (
    <>
      <main className="main" id="main" tabIndex={-1}>
        <LiveClock client={client} zone={snapshot.zone} live={snapshot.receiving}>
          <StatusLine status={snapshot.status} />
        </LiveClock>

        <div className="panels">
          <ZonePanel
            zones={zones}
            zone={snapshot.zone}
            homeZone={homeZone}
            notice={snapshot.notice}
            onChoose={onChooseZone}
          />
          <SyncPanel client={client} sync={snapshot.sync} />
          <ServicesPanel degraded={snapshot.outage} known={snapshot.receiving} />
        </div>
      </main>

      <footer className="footer">
        <p>
          The time is the server’s clock, measured over the WebSocket the way NTP does it and drawn on
          every screen refresh. The server assembles each frame from five gRPC services; a field whose
          service is down shows as --.
        </p>
      </footer>
    </>
  );
}
