/**
 * Angles of the analog face's hands, in degrees clockwise from twelve. A hand
 * whose service is down is not drawn (null), and the hands that would lean on
 * its value stand on their own field instead.
 */

import type { ClockFields, FieldName } from '../shared/format';

export interface HandAngles {
  readonly hour: number | null;
  readonly minute: number | null;
  readonly second: number | null;
}

export const NO_HANDS: HandAngles = { hour: null, minute: null, second: null };

/**
 * `sweep`: the second hand glides with the milliseconds; without it (reduced
 * motion) it steps once a second.
 */
export function handAngles(fields: ClockFields, hidden: ReadonlySet<FieldName>, sweep: boolean): HandAngles {
  const shown = (name: FieldName) => !hidden.has(name);
  const ms = sweep && shown('milliseconds') ? fields.milliseconds / 1000 : 0;
  const seconds = shown('seconds') ? fields.seconds + ms : 0;
  const minutes = shown('minutes') ? fields.minutes + seconds / 60 : 0;
  return {
    hour: shown('hours') ? ((fields.hours % 12) + minutes / 60) * 30 : null,
    minute: shown('minutes') ? minutes * 6 : null,
    second: shown('seconds') ? seconds * 6 : null,
  };
}
