/**
 * The funnel's WebSocket protocol: JSON text both ways. Server messages are
 * told apart by their keys: `pong` → a sync answer, `error` → an error, else
 * a clock frame.
 */

import type { FieldName } from '../shared/format';
import type { FrameTime } from './serviceTime';
import { isRecord, numberOrNull } from '../shared/json';

/** The services a frame is assembled from, in the order the page lists them. */
export const SERVICES = ['current-time', 'hours', 'minutes', 'seconds', 'milliseconds'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** A clock frame: its wall-clock fields and instant (`FrameTime`, null where a service did not answer) and more. */
export interface Frame extends FrameTime {
  /** The zone's canonical IANA name. */
  readonly tz: string;
  readonly seq: number | null;
  /** The instant the frame was built from (server clock, unix ms); null when current-time did not answer. */
  readonly unixMs: number | null;
  /** Services that did not answer for this frame. */
  readonly degraded: readonly string[];
}

export interface Pong {
  /** The ping's t0, echoed. */
  readonly t0: number;
  /** The server's clock when the ping arrived and when the pong left; null while unknown. */
  readonly t1: number | null;
  readonly t2: number | null;
}

export type ServerMessage =
  | { readonly kind: 'frame'; readonly frame: Frame }
  | { readonly kind: 'pong'; readonly pong: Pong }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export function parseServerMessage(text: string): ServerMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (!isRecord(value)) return { kind: 'invalid', reason: 'not an object' };
  if ('pong' in value) {
    const { pong, received, sent } = value;
    if (typeof pong !== 'number') return { kind: 'invalid', reason: 'pong without its t0' };
    return { kind: 'pong', pong: { t0: pong, t1: numberOrNull(received), t2: numberOrNull(sent) } };
  }
  if ('error' in value) {
    return { kind: 'error', message: String(value.error) };
  }
  if (typeof value.tz !== 'string') return { kind: 'invalid', reason: 'frame without a zone' };
  const degraded = Array.isArray(value.degraded)
    ? value.degraded.filter((name): name is string => typeof name === 'string')
    : [];
  return {
    kind: 'frame',
    frame: {
      tz: value.tz,
      seq: typeof value.seq === 'number' ? value.seq : null,
      unixMs: numberOrNull(value.unix_ms),
      hours: numberOrNull(value.hours),
      minutes: numberOrNull(value.minutes),
      seconds: numberOrNull(value.seconds),
      milliseconds: numberOrNull(value.milliseconds),
      degraded,
    },
  };
}

export function pingMessage(t0: number): string {
  return JSON.stringify({ ping: t0 });
}

export function zoneMessage(zone: string): string {
  return JSON.stringify({ tz: zone });
}

/** The clock fields that cannot be shown while `degraded` services are down. */
export function hiddenFields(degraded: readonly string[]): ReadonlySet<FieldName> {
  if (degraded.includes('current-time')) {
    return new Set<FieldName>(['hours', 'minutes', 'seconds', 'milliseconds']);
  }
  const fields: readonly FieldName[] = ['hours', 'minutes', 'seconds', 'milliseconds'];
  return new Set(fields.filter((field) => degraded.includes(field)));
}


