/**
 * The Timers page (`/timers`): set a timer or an alarm at a time of day,
 * watch the pending ones count down, cancel them, and see what fired (and
 * how late) or was cancelled.
 * Timers live in the timer service, so they fire with this page closed too.
 */

import { useCallback, useMemo } from 'react';
import { useServices, useTimers } from '../app/AppServices';
import { allZones } from '../clock/zones';
import { AlarmForm } from './AlarmForm';
import type { NewTimer, Timer } from './timerApi';
import type { StreamState } from './timerStore';
import { NotifySetting } from './NotifySetting';
import { PendingTimers } from './PendingTimers';
import { TimerForm } from './TimerForm';
import { TimerHistory } from './TimerHistory';

interface Props {
  /** The zone times of day are shown in (the clock page's). */
  readonly zone: string;
}

const STREAM_TEXT: Record<StreamState, string | null> = {
  idle: null,
  connecting: 'Connecting to the timer service…',
  live: null,
  reconnecting: 'Not hearing from the timer service; reconnecting…',
};

export function TimersPage({ zone }: Props) {
  const { timers: store, serverNow: now, onGesture, nextAlarm } = useServices();
  const zones = useMemo(allZones, []);
  const snapshot = useTimers((whole) => whole);

  const set = useCallback(async (request: NewTimer) => void (await store.set(request)), [store]);
  const cancel = useCallback(async (id: string) => void (await store.cancel(id)), [store]);
  const streamText = STREAM_TEXT[snapshot.stream];
  // Only the viewer's timers are shown; a Cancel button only on those that are theirs all the same.
  const signedIn = snapshot.signedIn;
  const canCancel = useCallback((timer: Timer) => timer.owned === signedIn, [signedIn]);

  return (
    <>
      <main className="main timers" id="main" tabIndex={-1} aria-labelledby="timers-title">
        <div className="page-heading">
          <h2 className="page-title" id="timers-title">
            Timers
          </h2>
          <p className="timers__status" data-testid="timers-status" data-stream={snapshot.stream} role="status">
            {/* While the stream reconnects, a failed reload is that same outage: say reconnecting. */}
            {snapshot.stream === 'reconnecting' ? streamText : (snapshot.problem ?? streamText)}
          </p>
        </div>

        <p className="timers__whose" data-testid="timers-whose" data-signed-in={signedIn}>
          {signedIn
            ? 'Your account’s timers, wherever you set them.'
            : 'Timers this browser set. Sign in (Account) to keep timers with your account and see them everywhere.'}
        </p>

        <div className="timers__grid">
          <section className="panel timers__new" aria-labelledby="new-timer-title">
            <h3 className="panel__title" id="new-timer-title">
              Set a timer
            </h3>
            <TimerForm onSet={set} onGesture={onGesture} />
            <NotifySetting onGesture={onGesture} />
          </section>

          <section className="panel timers__running" aria-labelledby="running-title">
            <h3 className="panel__title" id="running-title">
              Running
            </h3>
            <PendingTimers timers={snapshot.pending} now={now} zone={zone} onCancel={cancel} canCancel={canCancel} />
          </section>

          <section className="panel timers__alarm" aria-labelledby="new-alarm-title">
            <h3 className="panel__title" id="new-alarm-title">
              Set an alarm
            </h3>
            <AlarmForm
              zones={zones}
              defaultZone={zone}
              nextAlarm={nextAlarm}
              onSet={set}
              now={now}
              onGesture={onGesture}
            />
          </section>
        </div>

        <section className="panel timers__history" aria-labelledby="history-title">
          <h3 className="panel__title" id="history-title">
            History
          </h3>
          <TimerHistory timers={snapshot.ended} zone={zone} />
        </section>
      </main>

      <footer className="footer">
        <p>
          Timers are kept by the timer service, so they fire even while this page is closed. Countdowns run on
          the server’s clock as the page measures it, and each timer fires on the server, never early.
        </p>
      </footer>
    </>
  );
}
