/**
 * The clock page (`/`): status, the live clock (with a word when the
 * services' zone rules are not the browser's, and the milliseconds switch),
 * the zone picker, clock sync and the services.
 */

import { useMemo } from 'react';
import type { ClockClient, ClientSnapshot } from './client';
import { allZones } from './zones';
import { LiveClock } from './LiveClock';
import { MillisecondsSwitch } from './MillisecondsSwitch';
import { ServiceTimeNotice } from './ServiceTimeNotice';
import { useShowMilliseconds } from './showMilliseconds';
import { WallLink } from './WallLink';
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
  const showMilliseconds = useShowMilliseconds();
  return (
    <>
      <main className="main" id="main" tabIndex={-1} aria-labelledby="clock-title">
        <h2 className="visually-hidden" id="clock-title">
          Live clock
        </h2>
        <LiveClock client={client} zone={snapshot.zone} live={snapshot.receiving} showMilliseconds={showMilliseconds}>
          <StatusLine status={snapshot.status} />
        </LiveClock>
        <div className="clock-options">
          <ServiceTimeNotice
            zone={snapshot.zone}
            serviceOffset={snapshot.serviceOffset}
            now={client.serverNow() ?? Date.now()}
          />
          <MillisecondsSwitch />
          <WallLink zone={snapshot.zone} />
        </div>

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
