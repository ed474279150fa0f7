/**
 * Wall-clock mode (`/wall`, `?tz=` honoured): the time in large digits
 * filling the screen, with the date, the zone and the connection state
 * (dimmed, with a word, whenever frames are not arriving). A button enters
 * fullscreen; the screen is kept on with a wake lock while the page is shown
 * (`wakeLock.ts`), and the page says so when the browser refuses; Escape or
 * the Leave button goes back to the clock page.
 */

import { useEffect, useRef, useState } from 'react';
import type { ClockClient, ClientSnapshot } from './client';
import { LiveClock } from './LiveClock';
import { StatusLine } from './StatusLine';
import { WAKE_LOCK_TEXT, WakeLockKeeper, browserWakeLockDeps, type WakeLockState } from './wakeLock';
import './wall.css';

/** What stays reachable beside the wall: the fired timers' alerts (drawn above it) and dialogs (the shortcuts' help). */
const KEEP_REACHABLE = '[data-testid="timer-alerts"], dialog';

interface Props {
  readonly client: ClockClient;
  readonly snapshot: ClientSnapshot;
  /** Goes back to the clock page. */
  readonly onLeave: () => void;
}

export function WallPage({ client, snapshot, onLeave }: Props) {
  const wall = useRef<HTMLElement>(null);
  const [wake, setWake] = useState<WakeLockState>('asking');

  useEffect(() => {
    const keeper = new WakeLockKeeper(browserWakeLockDeps(), setWake);
    keeper.start();
    return () => keeper.stop();
  }, []);

  // The page under the wall (masthead, links) is covered: keep keyboards and screen readers out of it too.
  useEffect(() => {
    const covered = [...(wall.current?.parentElement?.children ?? [])].filter(
      (element): element is HTMLElement =>
        element instanceof HTMLElement && element !== wall.current && !element.matches(KEEP_REACHABLE),
    );
    for (const element of covered) element.inert = true;
    return () => {
      for (const element of covered) element.inert = false;
    };
  }, []);

  // Escape leaves (in fullscreen the browser takes the first Escape to leave fullscreen).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // An open dialog (the shortcuts' help) takes its own Escape.
      if (event.key === 'Escape' && !event.defaultPrevented && document.querySelector('dialog[open]') === null) onLeave();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onLeave]);

  const leave = () => {
    if (document.fullscreenElement) void document.exitFullscreen().catch(() => {});
    onLeave();
  };
  const fullscreen = () => {
    void wall.current?.requestFullscreen().catch(() => {});
  };

  return (
    <main className="main wall" id="main" tabIndex={-1} aria-labelledby="wall-title" ref={wall} data-testid="wall">
      <h2 className="visually-hidden" id="wall-title">
        Wall clock
      </h2>
      <LiveClock client={client} zone={snapshot.zone} live={snapshot.receiving} showMilliseconds={false} analog={false}>
        <StatusLine status={snapshot.status} />
      </LiveClock>
      <div className="wall__bar">
        <p className="wall__wake" data-testid="wake-lock" data-state={wake}>
          {WAKE_LOCK_TEXT[wake]}
        </p>
        {document.fullscreenEnabled && (
          <button type="button" className="button" onClick={fullscreen}>
            Full screen
          </button>
        )}
        <button type="button" className="button" onClick={leave} data-testid="wall-leave">
          Leave wall clock
        </button>
      </div>
    </main>
  );
}
