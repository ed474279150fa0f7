/**
 * How this page tells a person a timer fired: always an alert on the page
 * and a beep; a system notification too once they allow it. Permission is
 * asked for only when they press "Notify me".
 */

import { useState } from 'react';
import { askForNotifications, notificationAccess, type NotificationAccess } from './ringing';

interface Props {
  /** Called on the press, while it still counts as a gesture (unlocks sound). */
  readonly onGesture?: () => void;
}

const TEXT: Record<NotificationAccess, string> = {
  default: 'Get a system notification too, even when this tab is in the background.',
  granted: 'System notifications are on.',
  denied: 'System notifications are blocked for this site in your browser’s settings.',
  unsupported: 'This browser cannot show system notifications.',
};

export function NotifySetting({ onGesture }: Props) {
  const [access, setAccess] = useState<NotificationAccess>(notificationAccess);
  const [asking, setAsking] = useState(false);

  const ask = async () => {
    onGesture?.();
    if (asking) return;
    setAsking(true);
    setAccess(await askForNotifications());
    setAsking(false);
  };

  return (
    <div className="notify" data-testid="notify" data-access={access}>
      <p className="panel__note">When a timer fires, this page beeps and shows an alert. {TEXT[access]}</p>
      {access === 'default' && (
        <button className="button button--quiet" type="button" onClick={ask} aria-disabled={asking}>
          Notify me
        </button>
      )}
    </div>
  );
}
