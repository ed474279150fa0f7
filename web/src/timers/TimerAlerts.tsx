/**
 * A card for each timer that fired while the page watched, on every page,
 * until dismissed. Each is an ARIA alert (a live region: screen readers say
 * it at once), placed before the page's `<main>`; the newest takes focus,
 * Escape or Dismiss closes the focused one and focus goes back where it was
 * (`useAlertFocus`). When the browser blocked the beep, the newest card says
 * so and offers to play it.
 */

import type { KeyboardEvent } from 'react';
import { describeDuration, describeLate, timerName, timerSeconds } from './countdown';
import { formatTimeOfDay } from '../shared/format';
import type { Timer } from './timerApi';
import { endOf } from './timerState';
import { useAlertFocus } from './useAlertFocus';

interface Props {
  readonly alerts: readonly Timer[];
  /** The zone times of day are shown in. */
  readonly zone: string;
  readonly onDismiss: (id: string) => void;
  /** Whether the browser blocked the beep (no click or key press on the page yet). */
  readonly soundBlocked?: boolean;
  /** Plays the beep, from the press on "Play sound". */
  readonly onPlaySound?: () => void;
}

export const SOUND_BLOCKED_TEXT = 'Sound is blocked by the browser until you click or press a key on this page.';

export function TimerAlerts({ alerts, zone, onDismiss, soundBlocked = false, onPlaySound }: Props) {
  const focus = useAlertFocus(alerts.map((timer) => timer.id));
  const newestId = alerts.at(-1)?.id;

  const dismiss = (id: string) => {
    focus.beforeDismiss(id);
    onDismiss(id);
  };
  const dismissOnEscape = (id: string) => (event: KeyboardEvent<HTMLElement>) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    event.preventDefault();
    event.stopPropagation();
    dismiss(id);
  };

  return (
    <div className="toasts" data-testid="timer-alerts">
      {alerts.map((timer) => {
        const name = timerName(timer);
        const titleId = `timer-alert-${timer.id}`;
        return (
          <section
            key={timer.id}
            ref={focus.cardRef(timer.id)}
            className="toast"
            role="alert"
            tabIndex={-1}
            aria-labelledby={titleId}
            data-testid="timer-alert"
            data-timer-id={timer.id}
            onKeyDown={dismissOnEscape(timer.id)}
          >
            <div className="toast__text">
              <h2 className="toast__title" id={titleId}>
                Time’s up: {name}
              </h2>
              <p className="toast__meta">
                {describeDuration(timerSeconds(timer))} timer, fired at {formatTimeOfDay(endOf(timer), zone)},{' '}
                {describeLate(timer.lateMs)}
              </p>
              {soundBlocked && timer.id === newestId && onPlaySound && (
                <p className="toast__sound" data-testid="sound-blocked">
                  {SOUND_BLOCKED_TEXT}{' '}
                  <button
                    className="button button--quiet"
                    type="button"
                    onClick={() => {
                      focus.keepOn(timer.id);
                      onPlaySound();
                    }}
                  >
                    Play sound
                  </button>
                </p>
              )}
            </div>
            <button
              className="button button--quiet toast__dismiss"
              type="button"
              onClick={() => dismiss(timer.id)}
              aria-label={`Dismiss the alert for ${name}`}
            >
              Dismiss
            </button>
          </section>
        );
      })}
    </div>
  );
}
