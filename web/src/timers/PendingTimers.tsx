/**
 * The timers still to fire, the soonest first, each counting down. One
 * requestAnimationFrame loop writes every countdown straight into the DOM
 * from the server's clock (as the clock page measures it), so React renders
 * only when the list itself changes.
 */

import { useLayoutEffect, useRef, useState } from 'react';
import { formatCountdown, describeDuration, timerName, timerSeconds } from './countdown';
import { formatTimeOfDay } from '../shared/format';
import type { Timer } from './timerApi';

interface Props {
  readonly timers: readonly Timer[];
  /** The server's clock now, unix ms. */
  readonly now: () => number;
  /** The zone times of day are shown in. */
  readonly zone: string;
  /** Cancels a timer; rejects with an Error saying why it could not. */
  readonly onCancel: (id: string) => Promise<void>;
  /** Whether the viewer may cancel `timer` (it is theirs); others get no Cancel button. */
  readonly canCancel: (timer: Timer) => boolean;
}

/** A timer this far past due without word of it firing says it is waiting for the service. */
const OVERDUE_NOTE_MS = 1_500;

/** What the loop draws into, per row. */
interface Row {
  readonly timer: Timer;
  readonly item: HTMLLIElement;
  readonly countdown: HTMLElement;
  readonly bar: HTMLProgressElement;
  shown: string;
  phase: 'running' | 'due' | 'overdue' | null;
}

function draw(row: Row, nowMs: number): void {
  const remaining = row.timer.firesAtMs - nowMs;
  // The text stops at 0:00.0, but a timer can go on from due to overdue.
  const phase = remaining > 0 ? 'running' : remaining >= -OVERDUE_NOTE_MS ? 'due' : 'overdue';
  const text = formatCountdown(remaining);
  if (text === row.shown && phase === row.phase) return;
  row.shown = text;
  row.phase = phase;
  row.countdown.textContent = text;
  const total = timerSeconds(row.timer) * 1000;
  row.bar.value = total > 0 ? Math.min(1, Math.max(0, remaining / total)) : 0;
  row.item.dataset.due = String(phase !== 'running');
  row.item.dataset.overdue = String(phase === 'overdue');
}

export function PendingTimers({ timers, now, zone, onCancel, canCancel }: Props) {
  const rows = useRef(new Set<Row>());

  useLayoutEffect(() => {
    let request = 0;
    const loop = () => {
      const nowMs = now();
      for (const row of rows.current) draw(row, nowMs);
      request = requestAnimationFrame(loop);
    };
    request = requestAnimationFrame(loop);
    return () => cancelAnimationFrame(request);
  }, [now]);

  if (timers.length === 0) {
    return <p className="timers__empty">No timers running. Set one and it counts down here.</p>;
  }
  return (
    <ul className="timer-list" aria-label="Running timers">
      {timers.map((timer) => (
        <PendingRow
          key={timer.id}
          timer={timer}
          rows={rows.current}
          now={now}
          zone={zone}
          onCancel={canCancel(timer) ? onCancel : null}
        />
      ))}
    </ul>
  );
}

interface RowProps {
  readonly timer: Timer;
  readonly rows: Set<Row>;
  readonly now: () => number;
  readonly zone: string;
  /** Null: not the viewer's timer, so no Cancel button. */
  readonly onCancel: ((id: string) => Promise<void>) | null;
}

function PendingRow({ timer, rows, now, zone, onCancel }: RowProps) {
  const item = useRef<HTMLLIElement>(null);
  const countdown = useRef<HTMLParagraphElement>(null);
  const bar = useRef<HTMLProgressElement>(null);
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  const name = timerName(timer);

  // Drawn before the row is painted, then by the page's loop.
  useLayoutEffect(() => {
    if (item.current === null || countdown.current === null || bar.current === null) return;
    const row: Row = { timer, item: item.current, countdown: countdown.current, bar: bar.current, shown: '', phase: null };
    draw(row, now());
    rows.add(row);
    return () => void rows.delete(row);
  }, [timer, rows, now]);

  const cancel = async () => {
    if (busy || onCancel === null) return;
    setBusy(true);
    setRefused(null);
    try {
      await onCancel(timer.id);
    } catch (error) {
      setRefused(error instanceof Error ? error.message : String(error));
      setBusy(false);
    }
  };

  return (
    <li className="timer" ref={item} data-testid="pending-timer" data-timer-id={timer.id}>
      <div className="timer__text">
        <p className="timer__name">{name}</p>
        <p className="timer__meta">
          {describeDuration(timerSeconds(timer))} · fires at {formatTimeOfDay(timer.firesAtMs, zone)}
          <span className="timer__overdue"> · due, waiting for the timer service…</span>
        </p>
      </div>
      {/* Written by the animation loop only. */}
      <p className="timer__countdown" data-testid="countdown" ref={countdown} />
      {onCancel !== null && (
        <button
          className="button button--quiet timer__cancel"
          type="button"
          onClick={cancel}
          aria-disabled={busy}
          aria-label={`Cancel ${name}`}
        >
          {busy ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
      <progress className="timer__bar" ref={bar} max={1} aria-hidden="true" />
      {refused !== null && (
        <p className="notice notice--bad timer__error" role="alert">
          {refused}
        </p>
      )}
    </li>
  );
}
