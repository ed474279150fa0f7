/**
 * A card for each timer that fired while the page watched, on every page,
 * until dismissed. Each is an ARIA alert, so screen readers say it at once.
 */

import { describeDuration, describeLate, timerName, timerSeconds } from './countdown';
import { formatTimeOfDay } from '../shared/format';
import type { Timer } from './timerApi';
import { endOf } from './timerState';

interface Props {
  readonly alerts: readonly Timer[];
  /** The zone times of day are shown in. */
  readonly zone: string;
  readonly onDismiss: (id: string) => void;
}

export function TimerAlerts({ alerts, zone, onDismiss }: Props) {
  if (alerts.length === 0) return null;
  return (
    <div className="toasts" data-testid="timer-alerts">
      {alerts.map((timer) => {
        const name = timerName(timer);
        return (
          <div key={timer.id} className="toast" role="alert" data-testid="timer-alert" data-timer-id={timer.id}>
            <div className="toast__text">
              <p className="toast__title">Time’s up: {name}</p>
              <p className="toast__meta">
                {describeDuration(timerSeconds(timer))} timer, fired at {formatTimeOfDay(endOf(timer), zone)},{' '}
                {describeLate(timer.lateMs)}
              </p>
            </div>
            <button
              className="button button--quiet toast__dismiss"
              type="button"
              onClick={() => onDismiss(timer.id)}
              aria-label={`Dismiss the alert for ${name}`}
            >
              Dismiss
            </button>
          </div>
        );
      })}
    </div>
  );
}
