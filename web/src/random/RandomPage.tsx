/**
 * The Random page (`/random`): the stream service's random numbers live, ten
 * a second: a chart of the last hundred, the latest value, how many events
 * arrived whole or not, and a log of them with the time each came in.
 * Connects when shown (unless the person disconnected), closes when left.
 * Draws at most once per animation frame and not while the tab is hidden;
 * log lines already shown are not built again.
 */

import { memo, useEffect } from 'react';
import { useServices } from '../app/AppServices';
import { useStoreEachFrame } from '../shared/useStoreEachFrame';
import { formatClock, zoneClock } from '../shared/format';
import { CHART_POINTS, LOG_LIMIT, formatValue, type LogEntry } from './randomFeed';
import type { Connection } from './randomStore';
import { RandomChart } from './RandomChart';

interface Props {
  /** The zone the log's times are shown in (the clock page's). */
  readonly zone: string;
}

const CONNECTION_TEXT: Record<Connection, string> = {
  disconnected: 'Disconnected',
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Not hearing from the stream service; reconnecting…',
};

export function RandomPage({ zone }: Props) {
  const store = useServices().random;
  const { feed, connection, url } = useStoreEachFrame(store);
  useEffect(() => {
    store.start();
    return store.stop;
  }, [store]);

  const open = connection !== 'disconnected';
  return (
    <>
      <main className="main random" id="main" tabIndex={-1} aria-labelledby="random-title">
        <div className="page-heading">
          <h2 className="page-title" id="random-title">
            Random numbers
          </h2>
          <p className="random__status" data-testid="random-status" data-connection={connection} role="status">
            <span className="random__dot" aria-hidden="true" />
            {CONNECTION_TEXT[connection]}
          </p>
        </div>

        <div className="random__grid">
          <section className="panel random__live" aria-labelledby="chart-title">
            <h3 className="panel__title" id="chart-title">
              Live values
            </h3>
            <RandomChart points={feed.points} />
            <p className="panel__note">The last {CHART_POINTS} values; the axis follows what is shown.</p>
          </section>

          <section className="panel random__side" aria-labelledby="stream-title">
            <h3 className="panel__title" id="stream-title">
              Stream
            </h3>
            <p className="random__url">
              <code>{url === '' ? 'Finding the stream service…' : url}</code>
            </p>
            <div className="random__buttons">
              <button type="button" className="button button--primary" onClick={store.connect} disabled={open}>
                Connect
              </button>
              <button type="button" className="button" onClick={store.disconnect} disabled={!open}>
                Disconnect
              </button>
              <button type="button" className="button button--quiet" onClick={store.clear}>
                Clear
              </button>
            </div>

            <dl className="random__stats" aria-label="Statistics">
              <div className="random__stat random__stat--latest">
                <dt>Latest value</dt>
                <dd data-testid="random-latest">{feed.latest === null ? '—' : formatValue(feed.latest.value)}</dd>
              </div>
              <div className="random__stat">
                <dt>Total events</dt>
                <dd data-testid="random-total">{feed.total}</dd>
              </div>
              <div className="random__stat">
                <dt>Complete</dt>
                <dd data-testid="random-complete">{feed.complete}</dd>
              </div>
              <div className="random__stat">
                <dt>Incomplete</dt>
                <dd data-testid="random-incomplete">{feed.incomplete}</dd>
              </div>
            </dl>
          </section>
        </div>

        <section className="panel random__log-panel" aria-labelledby="log-title">
          <h3 className="panel__title" id="log-title">
            Event log
          </h3>
          {feed.log.length === 0 ? (
            <p className="timers__empty">Nothing yet.</p>
          ) : (
            // It scrolls on its own, so keyboards must be able to reach it.
            <ol className="random__log" data-testid="random-log" aria-label="Events, newest first" tabIndex={0}>
              {feed.log.map((entry) => (
                <LogLine key={entry.id} entry={entry} zone={zone} />
              ))}
            </ol>
          )}
          <p className="panel__note">The newest {LOG_LIMIT} entries, newest first.</p>
        </section>
      </main>

      <footer className="footer">
        <p>
          Values come from the random service over gRPC and reach this page through the stream service as
          Server-Sent Events; a dropped stream resumes where it left off.
        </p>
      </footer>
    </>
  );
}

const LogLine = memo(function LogLine({ entry, zone }: { readonly entry: LogEntry; readonly zone: string }) {
  return (
    <li className="random__entry" data-kind={entry.kind} data-testid="random-log-entry">
      <time className="random__time" dateTime={new Date(entry.atMs).toISOString()}>
        {formatClock(zoneClock(zone)?.fieldsAt(entry.atMs) ?? null)}
      </time>
      <span className="random__text">{entry.text}</span>
    </li>
  );
});
