/**
 * How well the page's clock agrees with the server's (NTP-style sync), and
 * how far off the device's own clock is.
 */

import { useEffect, useState } from 'react';
import type { ClockClient } from './client';
import type { SyncEstimate } from './sync';
import { describeDeviceOffset, formatAccuracy, formatDuration } from './syncText';

interface Props {
  readonly client: ClockClient;
  readonly sync: SyncEstimate | null;
}

export function SyncPanel({ client, sync }: Props) {
  const deviceOffset = useDeviceOffset(client, sync);
  const report = client.syncReport(); // for the browser tests, as of this render (at least once a second)

  return (
    <section className="panel sync" aria-labelledby="sync-title" data-testid="sync" data-offset-ms={report.offsetMs ?? ''} data-accuracy-ms={report.accuracyMs ?? ''} data-samples={report.samples} data-exchanges={report.exchanges}>
      <h2 className="panel__title" id="sync-title">
        Clock sync
      </h2>
      <p className="sync__accuracy" data-testid="accuracy">
        {sync === null ? 'Synchronising with the server…' : `Accurate to ${formatAccuracy(sync.accuracyMs)}`}
      </p>
      <p className="sync__device" data-testid="device-offset">
        {sync === null || deviceOffset === null
          ? 'Measuring your device clock…'
          : describeDeviceOffset(deviceOffset, sync.accuracyMs)}
      </p>
      {sync !== null && (
        <p className="panel__note">
          Best of {sync.samples} {sync.samples === 1 ? 'sample' : 'samples'}, round trip{' '}
          {formatDuration(sync.delayMs)}
        </p>
      )}
    </section>
  );
}

/** The device's clock minus the server's, re-read every second (the device clock may be set meanwhile). */
function useDeviceOffset(client: ClockClient, sync: SyncEstimate | null): number | null {
  const [offset, setOffset] = useState<number | null>(null);
  useEffect(() => {
    const read = () => setOffset(client.deviceOffsetMs());
    read();
    const timer = setInterval(read, 1000);
    return () => clearInterval(timer);
  }, [client, sync]);
  return offset;
}
