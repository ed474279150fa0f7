/**
 * The clock itself: HH:MM:SS.mmm (HH:MM:SS without milliseconds), the date,
 * the zone with its UTC offset, and the analog face. One requestAnimationFrame
 * loop writes them straight into the DOM from the client's estimate of the
 * server's time shifted by the zone's offset as the services' frames give it
 * (`serviceTime.ts`; the browser's rules until the first complete frame), so
 * the milliseconds run smoothly without re-rendering React sixty times a
 * second. Each frame shows the time for when it reaches the screen (`frameClock`).
 */

import { useLayoutEffect, useRef, type ReactNode } from 'react';
import type { ClockClient } from './client';
import { formatZoneLabel } from '../shared/format';
import { FrameClock } from './frameClock';
import { NO_HANDS, handAngles } from './hands';
import { useReducedMotion } from '../shared/useReducedMotion';
import { AnalogFace, type AnalogFaceHandle } from './AnalogFace';
import { fieldsAtOffset } from './serviceTime';
import { formatShownDate, formatShownTime, offsetToShow } from './shownTime';

interface Props {
  readonly client: ClockClient;
  readonly zone: string;
  /** Frames are arriving: otherwise the clock is dimmed and marked as not live. */
  readonly live: boolean;
  /** Whether the digits include milliseconds. */
  readonly showMilliseconds: boolean;
  /** Whether the analog face is drawn beside the digits (default: yes). */
  readonly analog?: boolean;
  /** Shown above the time (the connection status). */
  readonly children?: ReactNode;
}

/** What the date line says when there is no time to show. */
const NOT_SYNCED = 'Synchronising with the server…';
const OFFLINE = 'Offline: no time until the network is back';
const NO_TIME = 'The server cannot tell the time right now';

export function LiveClock({ client, zone, live, showMilliseconds, analog = true, children }: Props) {
  const time = useRef<HTMLParagraphElement>(null);
  const date = useRef<HTMLParagraphElement>(null);
  const zoneLine = useRef<HTMLParagraphElement>(null);
  const face = useRef<AnalogFaceHandle>(null);
  const reducedMotion = useReducedMotion();

  // A layout effect, so the first time is drawn before the page is painted.
  useLayoutEffect(() => {
    let shownTime = '';
    let labelKey = '';
    let request = 0;
    const frames = new FrameClock();

    /** Draws the frame that began at `frameStart` (ms since performance.timeOrigin). */
    const draw = (frameStart: number) => {
      frames.note(frameStart);
      const serverNow = client.serverTimeAt(performance.timeOrigin + frames.shownAt(frameStart));
      const hidden = client.hiddenFields();
      const instant = serverNow ?? Date.now();
      const offset = offsetToShow(zone, client.serviceOffsetFor(zone), instant);
      const known = serverNow !== null && offset !== null && hidden.size < 4;
      const fields = known ? fieldsAtOffset(serverNow, offset) : null;

      const text = formatShownTime(fields, hidden, showMilliseconds);
      if (text !== shownTime && time.current) {
        time.current.textContent = text;
        shownTime = text;
      }
      face.current?.setHands(fields === null ? NO_HANDS : handAngles(fields, hidden, !reducedMotion));

      // The date and the offset change on whole minutes (or a new offset) at most: format them only then.
      const minute = Math.floor(instant / 60_000);
      const online = navigator.onLine;
      const key = `${minute}|${serverNow === null}|${known}|${offset}|${online}`;
      if (key !== labelKey) {
        labelKey = key;
        if (date.current) {
          const waiting = online ? NOT_SYNCED : OFFLINE;
          date.current.textContent = known ? formatShownDate(instant, offset) : serverNow === null ? waiting : NO_TIME;
        }
        if (zoneLine.current) {
          zoneLine.current.textContent = offset === null ? zone : formatZoneLabel(zone, offset);
        }
      }
    };
    const loop = (frameStart: number) => {
      draw(frameStart);
      request = requestAnimationFrame(loop);
    };
    loop(performance.now());
    return () => cancelAnimationFrame(request);
  }, [client, zone, reducedMotion, showMilliseconds]);

  return (
    <section className="clock" data-live={live} aria-label="Clock">
      <div className="clock__digital">
        {children}
        {/* Written by the animation loop only: React renders these empty. */}
        <div className="clock__readout">
          <p className="clock__time" data-testid="time" ref={time} />
          <p className="clock__date" data-testid="date" ref={date} />
          <p className="clock__zone" data-testid="zone" ref={zoneLine} />
        </div>
      </div>
      {analog && (
        <div className="clock__analog">
          <AnalogFace ref={face} />
        </div>
      )}
    </section>
  );
}
