/**
 * A card for each timer that fired while the page watched, on every page,
 * until dismissed. Each is an ARIA alert, so screen readers say it at once.
 */

import { describeDuration, describeLate, timerName, timerSeconds } from '../countdown';
import type { Timer } from '../timerApi';

interface Props {
  readonly alerts: readonly Timer[];
  readonly onDismiss: (id: string) => void;
}

export function TimerAlerts({ alerts, onDismiss }: Props) {
  if (alerts.length === 0) return null;
  return (
    <div className="toasts">
      {alerts.map((timer) => {
        const name = timerName(timer);
        return (
          <div key={timer.id} className="toast" role="alert" data-testid="timer-alert" data-timer-id={timer.id}>
            <div className="toast__text">
              <p className="toast__title">Time’s up: {name}</p>
              <p className="toast__meta">
                {describeDuration(timerSeconds(timer))} timer, fired {describeLate(timer.lateMs)}
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
