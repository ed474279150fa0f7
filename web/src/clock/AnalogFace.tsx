/**
 * The analog face: a static SVG dial whose hands the clock's animation loop
 * turns through refs. Decorative for assistive technology: the digital time
 * says the same.
 */

import { useImperativeHandle, useRef, type Ref } from 'react';
import type { HandAngles } from './hands';

export interface AnalogFaceHandle {
  setHands(angles: HandAngles): void;
}

const TICKS = Array.from({ length: 60 }, (_, i) => i);

export function AnalogFace({ ref }: { readonly ref: Ref<AnalogFaceHandle> }) {
  const hour = useRef<SVGGElement>(null);
  const minute = useRef<SVGGElement>(null);
  const second = useRef<SVGGElement>(null);

  useImperativeHandle(ref, () => ({
    setHands(angles) {
      turn(hour.current, angles.hour);
      turn(minute.current, angles.minute);
      turn(second.current, angles.second);
    },
  }));

  return (
    <svg className="analog" viewBox="-100 -100 200 200" aria-hidden="true" focusable="false">
      <circle className="analog__rim" r="97" />
      <circle className="analog__dial" r="92" />
      {TICKS.map((i) => (
        <line
          key={i}
          className={i % 5 === 0 ? 'analog__tick analog__tick--hour' : 'analog__tick'}
          y1={i % 5 === 0 ? -80 : -85}
          y2="-89"
          transform={`rotate(${i * 6})`}
        />
      ))}
      <g ref={hour} visibility="hidden">
        <line className="analog__hand analog__hand--hour" y1="10" y2="-48" />
      </g>
      <g ref={minute} visibility="hidden">
        <line className="analog__hand analog__hand--minute" y1="12" y2="-74" />
      </g>
      <g ref={second} visibility="hidden">
        <line className="analog__hand analog__hand--second" y1="20" y2="-80" />
      </g>
      <circle className="analog__pin" r="4" />
    </svg>
  );
}

function turn(hand: SVGGElement | null, degrees: number | null): void {
  if (hand === null) return;
  if (degrees === null) {
    hand.setAttribute('visibility', 'hidden');
    return;
  }
  hand.setAttribute('visibility', 'visible');
  hand.setAttribute('transform', `rotate(${degrees.toFixed(2)})`);
}
