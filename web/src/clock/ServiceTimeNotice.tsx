/**
 * Says plainly when the services' offset for the zone shown is not the one
 * the browser's rules (`Intl`) give: the clock shows the services' time.
 * Nothing before the first complete frame, nothing while they agree.
 */

import { zoneClock } from '../shared/format';
import { disagreementNotice, type ZoneOffset } from './serviceTime';

interface Props {
  readonly zone: string;
  readonly serviceOffset: ZoneOffset | null;
  /** The instant to ask the browser's rules about (the server's clock now). */
  readonly now: number;
}

export function ServiceTimeNotice({ zone, serviceOffset, now }: Props) {
  if (serviceOffset === null || serviceOffset.zone !== zone) return null;
  const text = disagreementNotice(zone, serviceOffset.offsetMs, zoneClock(zone)?.offsetAt(now) ?? null);
  if (text === null) return null;
  return (
    <p className="notice clock__disagreement" role="status" data-testid="service-time-notice">
      {text}
    </p>
  );
}
