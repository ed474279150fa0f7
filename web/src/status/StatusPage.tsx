/**
 * The Status page (`/status`): the services `clocker up` supervises, as
 * `clocker ps` shows them, live — state (and why a service that is up is
 * not ready), pid, address, restarts, uptime,
 * health-probe p99, deadline overruns and the last error — with the rows
 * whose restart count just went up highlighted. Polls the funnel every
 * second while shown (and the tab is visible); without a supervisor it says
 * how to get one.
 */

import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import {
  describeRestarted,
  formatPid,
  formatProbe,
  formatUptime,
  summarize,
  toneOf,
  type ServiceRow,
} from './status';
import { useServices, useStatus } from '../app/AppServices';
import type { StatusSnapshot } from './statusStore';

type PollState = 'loading' | 'live' | 'failing';

function pollState(snapshot: StatusSnapshot): PollState {
  if (snapshot.problem !== null) return 'failing';
  return snapshot.phase === 'loading' ? 'loading' : 'live';
}

const POLL_TEXT: Record<PollState, string> = {
  loading: 'Asking the funnel…',
  live: 'Live, every second',
  failing: 'Not answering; retrying…',
};

export function StatusPage() {
  const store = useServices().status;
  const snapshot = useStatus((whole) => whole);
  useEffect(() => {
    store.start();
    return store.stop;
  }, [store]);

  const poll = pollState(snapshot);
  return (
    <>
      <main className="main status-page" id="main" tabIndex={-1} aria-labelledby="status-title">
        <div className="page-heading">
          <h2 className="page-title" id="status-title">
            Status
          </h2>
          <p className="status-page__poll" data-testid="status-poll" data-state={poll} role="status">
            <span className="status-page__dot" aria-hidden="true" />
            {snapshot.problem ?? POLL_TEXT[poll]}
          </p>
        </div>

        {snapshot.phase === 'unsupervised' ? (
          <Unsupervised />
        ) : (
          <Services snapshot={snapshot} />
        )}
      </main>

      <footer className="footer">
        <p>
          <code>clocker up</code> runs every service as a process of its own, probes its health and restarts
          it when it dies or stops answering; this page asks the funnel what the supervisor knows, every
          second while it is shown.
        </p>
      </footer>
    </>
  );
}

function Unsupervised() {
  return (
    <section className="panel status-page__panel" data-testid="status-unsupervised" aria-labelledby="unsupervised-title">
      <h3 className="panel__title" id="unsupervised-title">
        Not supervised
      </h3>
      <p className="status-page__explain">
        This funnel was not started by <code>clocker up</code>, so no supervisor is watching the services. Run{' '}
        <code>clocker up</code> to start them all supervised (each restarted when it dies) and see them here, as{' '}
        <code>clocker ps</code> shows them.
      </p>
    </section>
  );
}

/** Whether the element `ref` holds is wider inside than it shows (so it scrolls sideways). */
function useOverflows<T extends HTMLElement>(): [RefObject<T | null>, boolean] {
  const ref = useRef<T>(null);
  const [overflows, setOverflows] = useState(false);
  useLayoutEffect(() => {
    const element = ref.current;
    if (element === null) return;
    const measure = () => setOverflows(element.scrollWidth > element.clientWidth + 1);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    if (element.firstElementChild) observer.observe(element.firstElementChild);
    return () => observer.disconnect();
  });
  return [ref, overflows];
}

function Services({ snapshot }: { readonly snapshot: StatusSnapshot }) {
  const { services, restarted } = snapshot;
  const [scroller, overflows] = useOverflows<HTMLDivElement>();
  const stale = snapshot.problem !== null;
  const restartedText = describeRestarted(restarted);
  return (
    <section className="panel status-page__panel" aria-labelledby="services-title">
      <h3 className="panel__title" id="services-title">
        Supervised services
      </h3>
      {snapshot.phase === 'loading' ? (
        <p className="timers__empty">{stale ? 'No answer yet.' : 'Loading…'}</p>
      ) : (
        <>
          <p className="status-page__summary" aria-live="polite">
            <span data-testid="status-summary">{summarize(services)}</span>
            {restartedText !== null && (
              <span className="status-page__restarted" data-testid="status-restarted">
                {restartedText}
              </span>
            )}
            {stale && <span className="status-page__stale">as last known</span>}
          </p>
          {services.length > 0 && overflows && (
            <p className="status-table__hint" id="status-scroll-hint" data-testid="status-scroll-hint">
              <span aria-hidden="true">↔</span> The table is wider than the screen: scroll it sideways for every column.
            </p>
          )}
          {services.length > 0 && (
            // It scrolls sideways on narrow screens, so keyboards must be able to reach it.
            <div
              className="status-table__scroll"
              ref={scroller}
              role="region"
              aria-labelledby="services-title"
              aria-describedby={overflows ? 'status-scroll-hint' : undefined}
              data-overflows={overflows}
              data-testid="status-table-scroll"
              tabIndex={0}
            >
              <table className="status-table" data-testid="status-table" data-stale={stale}>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">State</th>
                    <th scope="col" className="status-table__number">
                      PID
                    </th>
                    <th scope="col">Address</th>
                    <th scope="col" className="status-table__number">
                      Restarts
                    </th>
                    <th scope="col" className="status-table__number">
                      Uptime
                    </th>
                    <th scope="col" className="status-table__number">
                      Probe p99
                    </th>
                    <th scope="col">Overruns</th>
                    <th scope="col">Last error</th>
                  </tr>
                </thead>
                <tbody>
                  {services.map((row) => (
                    <ServiceLine key={row.name} row={row} restarted={restarted.includes(row.name)} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function ServiceLine({ row, restarted }: { readonly row: ServiceRow; readonly restarted: boolean }) {
  return (
    <tr
      className="status-table__row"
      data-testid="service-row"
      data-service={row.name}
      data-state={row.state}
      data-restarts={row.restarts}
      data-restarted={restarted}
    >
      <th scope="row" data-column="name">
        {row.name}
      </th>
      <td data-column="state">
        <span className="status-badge" data-tone={toneOf(row.state)}>
          <span className="status-badge__dot" aria-hidden="true" />
          {row.state}
        </span>
        {row.notReady !== null && (
          <span className="status-table__reason" data-testid="not-ready-reason">
            {row.notReady}
          </span>
        )}
      </td>
      <td data-column="pid" className="status-table__number">
        {formatPid(row.pid)}
      </td>
      <td data-column="addr">
        <code>{row.addr}</code>
      </td>
      <td data-column="restarts" className="status-table__number">
        {row.restarts}
      </td>
      <td data-column="uptime" className="status-table__number">
        {formatUptime(row.uptimeS)}
      </td>
      <td data-column="probe" className="status-table__number">
        {formatProbe(row.probeP99Ms)}
      </td>
      <td data-column="overruns" data-present={row.overruns !== null}>
        {row.overruns ?? '—'}
      </td>
      <td data-column="last-error" data-present={row.lastError !== null}>
        {row.lastError ?? '—'}
      </td>
    </tr>
  );
}
