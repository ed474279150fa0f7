/**
 * The world clock (`/world?zones=Asia/Tokyo,Europe/Paris`): up to twelve
 * zones side by side, each drawn on the synced server clock with its offset
 * as the services give it (`gatewayOffsets.ts`; the browser's rules, marked,
 * when they do not answer). One animation loop writes every card's digits.
 * Zones are added with the zone picker and removed from their card; the list
 * lives in the address and, signed in, on the account (`useWorldZones.ts`).
 */

import { useEffect, useLayoutEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import { formatUtcOffset } from '../shared/format';
import type { Status } from './connection';
import { GatewayOffsets, type OffsetSource } from './gatewayOffsets';
import { fieldsAtOffset } from './serviceTime';
import { formatShownDate, formatShownTime } from './shownTime';
import { StatusLine } from './StatusLine';
import { useWorldZones, type AccountZones, type TokenSource } from './useWorldZones';
import { MAX_WORLD_ZONES } from './worldZones';
import { allZones } from './zones';
import { ZonePicker } from './ZonePicker';
import './world.css';

/** The server's clock as the page estimates it. */
export interface ServerClock {
  /** Unix ms, or null before the first sync. */
  serverNow(): number | null;
}

export interface WorldClockDeps extends AccountZones {
  zoneOffset(zone: string): Promise<number>;
}

interface Props {
  readonly clock: ServerClock;
  readonly status: Status;
  /** Frames are arriving: otherwise the cards are dimmed, and the status says why. */
  readonly live: boolean;
  readonly api: WorldClockDeps;
  readonly session: TokenSource;
  /** The zones the picker offers (default: every zone the browser knows). */
  readonly choices?: readonly string[];
}

const NOTHING_HIDDEN: ReadonlySet<never> = new Set();

/** What each card's loop-written lines are. */
interface CardLines {
  time: HTMLElement | null;
  date: HTMLElement | null;
  offset: HTMLElement | null;
}

export function WorldClockPage({ clock, status, live, api, session, choices }: Props) {
  const { zones, add, remove, problem } = useWorldZones(api, session);
  const everyZone = useMemo(() => choices ?? allZones(), [choices]);
  const offsets = useMemo(
    () =>
      new GatewayOffsets({
        fetchOffset: (zone) => api.zoneOffset(zone),
        now: () => clock.serverNow() ?? Date.now(),
        setTimeout: (run, ms) => window.setTimeout(run, ms),
        clearTimeout: (id) => window.clearTimeout(id),
      }),
    [api, clock],
  );
  useEffect(() => () => offsets.stop(), [offsets]);
  useEffect(() => offsets.setZones(zones), [offsets, zones]);
  const sources = useSyncExternalStore(offsets.subscribe, offsets.getSnapshot);
  const lines = useRef(new Map<string, CardLines>());

  // One loop for every card: the digits, and the date and offset when they change.
  useLayoutEffect(() => {
    let request = 0;
    const shown = new Map<HTMLElement, string>();
    const write = (element: HTMLElement | null, text: string) => {
      if (element !== null && shown.get(element) !== text) {
        element.textContent = text;
        shown.set(element, text);
      }
    };
    const draw = () => {
      const serverNow = clock.serverNow();
      const instant = serverNow ?? Date.now();
      for (const [zone, card] of lines.current) {
        const offset = offsets.offsetAt(zone, instant);
        const fields = serverNow === null || offset === null ? null : fieldsAtOffset(serverNow, offset);
        write(card.time, formatShownTime(fields, NOTHING_HIDDEN, false));
        write(card.date, offset === null || serverNow === null ? '' : formatShownDate(serverNow, offset));
        write(card.offset, offset === null ? '' : formatUtcOffset(offset));
      }
      request = requestAnimationFrame(draw);
    };
    draw();
    return () => cancelAnimationFrame(request);
  }, [clock, offsets, zones]);

  const full = zones.length >= MAX_WORLD_ZONES;
  return (
    <main className="main world" id="main" tabIndex={-1} aria-labelledby="world-title" data-testid="world-page">
      <div className="page-heading">
        <h2 className="page-title" id="world-title">
          World clock
        </h2>
        <StatusLine status={status} />
      </div>

      <section className="panel world__add" aria-label="Add a zone">
        {full ? (
          <p className="world__full">{`At most ${MAX_WORLD_ZONES} zones; remove one to add another.`}</p>
        ) : (
          <ZonePicker zones={everyZone} value="" onChoose={add} />
        )}
        {problem !== null && (
          <p className="notice notice--bad" role="status" data-testid="world-problem">
            {problem}
          </p>
        )}
      </section>

      {zones.length === 0 ? (
        <p className="world__empty" data-testid="world-empty">
          No zones yet. Pick one above to see its time beside the others.
        </p>
      ) : (
        <ul className="world__cards" data-live={live} aria-label="Zones">
          {zones.map((zone) => (
            <WorldCard
              key={zone}
              zone={zone}
              source={sources[zone] ?? 'asking'}
              onRemove={remove}
              register={(card) => {
                if (card === null) lines.current.delete(zone);
                else lines.current.set(zone, card);
              }}
            />
          ))}
        </ul>
      )}
    </main>
  );
}

interface CardProps {
  readonly zone: string;
  readonly source: OffsetSource;
  readonly onRemove: (zone: string) => void;
  readonly register: (card: CardLines | null) => void;
}

function WorldCard({ zone, source, onRemove, register }: CardProps) {
  const card = useRef<CardLines>({ time: null, date: null, offset: null });
  useLayoutEffect(() => {
    register(card.current);
    return () => register(null);
  }, [register]);
  return (
    <li className="panel world__card" data-testid="world-card" data-zone={zone} data-source={source}>
      <h3 className="world__zone">{zone.replace(/_/g, ' ')}</h3>
      {/* Written by the page's animation loop only. */}
      <p className="world__time" data-testid="world-time" ref={(el) => void (card.current.time = el)} />
      <p className="world__date" ref={(el) => void (card.current.date = el)} />
      <p className="world__offset">
        <span ref={(el) => void (card.current.offset = el)} />
        {source === 'browser' && <span className="world__source"> · by this browser’s rules (the services did not answer)</span>}
      </p>
      <button type="button" className="button world__remove" onClick={() => onRemove(zone)} aria-label={`Remove ${zone}`}>
        Remove
      </button>
    </li>
  );
}
