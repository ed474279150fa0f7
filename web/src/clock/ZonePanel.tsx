/**
 * The time zone panel: the picker, how the chosen zone compares with the
 * person's own, a way back to their own zone, and any notice about zones
 * (e.g. one the server refused).
 */

import { describeOffsetDifference, zoneClock } from '../shared/format';
import { sameZone } from './zones';
import { ZonePicker } from './ZonePicker';

interface Props {
  readonly zones: readonly string[];
  readonly zone: string;
  /** The browser's own zone. */
  readonly homeZone: string;
  readonly notice: string | null;
  readonly onChoose: (zone: string) => void;
}

export function ZonePanel({ zones, zone, homeZone, notice, onChoose }: Props) {
  const atHome = sameZone(zone, homeZone);
  return (
    <section className="panel zone" aria-label="Time zone">
      <ZonePicker zones={zones} value={zone} onChoose={onChoose} />
      <p className="zone__relation">
        {atHome ? 'This is your time zone.' : <Comparison zone={zone} homeZone={homeZone} />}
      </p>
      {!atHome && (
        <button type="button" className="zone__home" onClick={() => onChoose(homeZone)}>
          Use my time zone ({homeZone})
        </button>
      )}
      {notice !== null && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
    </section>
  );
}

function Comparison({ zone, homeZone }: { readonly zone: string; readonly homeZone: string }) {
  const now = Date.now();
  const here = zoneClock(zone);
  const home = zoneClock(homeZone);
  if (here === null || home === null) return null;
  return <>Currently {describeOffsetDifference(here.offsetAt(now), home.offsetAt(now))} your time zone.</>;
}
