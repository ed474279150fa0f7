/** Timers that fired or were cancelled, the latest first, with how late each fired. */

import { describeDuration, describeLate, timerName, timerSeconds } from './countdown';
import { formatTimeOfDay } from '../shared/format';
import type { Timer } from './timerApi';
import { endOf } from './timerState';

interface Props {
  readonly timers: readonly Timer[];
  /** The zone times of day are shown in. */
  readonly zone: string;
}

/** More than this many are summed up rather than listed. */
const SHOWN = 100;

export function TimerHistory({ timers, zone }: Props) {
  if (timers.length === 0) {
    return <p className="timers__empty">Nothing has fired or been cancelled yet.</p>;
  }
  const hidden = timers.length - SHOWN;
  return (
    <>
      <ol className="history" aria-label="Fired and cancelled timers">
        {timers.slice(0, SHOWN).map((timer) => (
          <li
            key={timer.id}
            className="history__item"
            data-testid="history-timer"
            data-timer-id={timer.id}
            data-state={timer.state}
            data-late-ms={timer.state === 'fired' ? timer.lateMs : undefined}
          >
            <span className="history__badge">{timer.state === 'fired' ? 'Fired' : 'Cancelled'}</span>
            <span className="history__name">{timerName(timer)}</span>
            <span className="history__meta">{describeEnd(timer, zone)}</span>
          </li>
        ))}
      </ol>
      {hidden > 0 && <p className="panel__note">and {hidden} earlier</p>}
    </>
  );
}

/** "1 min 30 s · fired at 20:15:03 · 12 ms late", "5 min · cancelled at 20:15:03 · 3 min 12 s left". */
function describeEnd(timer: Timer, zone: string): string {
  const duration = describeDuration(timerSeconds(timer));
  const at = `${timer.state === 'fired' ? 'fired' : 'cancelled'} at ${formatTimeOfDay(endOf(timer), zone)}`;
  if (timer.state === 'fired') return `${duration} · ${at} · ${describeLate(timer.lateMs)}`;
  const left = Math.ceil((timer.firesAtMs - endOf(timer)) / 1000);
  return left > 0 ? `${duration} · ${at} · ${describeDuration(left)} left` : `${duration} · ${at}`;
}
