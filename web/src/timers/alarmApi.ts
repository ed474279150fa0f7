/**
 * Alarms at a time of day: the REST gateway's `GET /api/time/next?at=HH:MM&tz=Zone`
 * says when that time next comes in that zone (DST-correct: a time the
 * clocks skip or repeat on that day is `adjustment` "skipped" or "repeated",
 * with a `note` saying what happens), checked as it arrives. An alarm is
 * then an ordinary timer of that many seconds (`alarmTimer`). `fetch` is
 * injected, so tests run without a network.
 */

import { ApiError, callJson, serverSentence, type Failure, type Fetch } from '../shared/apiCall';
import { gatewayUrl, type Endpoints } from '../shared/endpoints';
import type { NewTimer } from './timerApi';

export type Adjustment = 'none' | 'skipped' | 'repeated';

/** When an alarm at `at` in `timezone` next rings. */
export interface NextAlarm {
  /** As asked, `HH:MM`. */
  readonly at: string;
  readonly timezone: string;
  /** RFC 3339 with the zone's offset then. */
  readonly firesAt: string;
  readonly unixMs: number;
  readonly inSeconds: number;
  readonly adjustment: Adjustment;
  /** What the DST change does to it ("" when nothing). */
  readonly note: string;
}

export const NEXT_TIME_PATH = '/api/time/next';

const ADJUSTMENTS: readonly string[] = ['none', 'skipped', 'repeated'] satisfies Adjustment[];

/** The gateway's answer, or null when it is not one. */
export function parseNextAlarm(value: unknown): NextAlarm | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { at, timezone, fires_at, unix_ms, in_seconds, adjustment, note } = value as Record<string, unknown>;
  if (typeof at !== 'string' || typeof timezone !== 'string' || typeof fires_at !== 'string') return null;
  if (typeof unix_ms !== 'number' || !Number.isFinite(unix_ms)) return null;
  if (typeof in_seconds !== 'number' || !Number.isFinite(in_seconds) || in_seconds < 0) return null;
  if (typeof adjustment !== 'string' || !ADJUSTMENTS.includes(adjustment)) return null;
  return {
    at,
    timezone,
    firesAt: fires_at,
    unixMs: unix_ms,
    inSeconds: in_seconds,
    adjustment: adjustment as Adjustment,
    note: typeof note === 'string' ? note : '',
  };
}

export class AlarmApi {
  private readonly fetch: Fetch;
  private readonly endpoints: Endpoints;

  constructor(fetch: Fetch, endpoints: Endpoints) {
    this.fetch = fetch;
    this.endpoints = endpoints;
  }

  /** When `at` (HH:MM) next comes in `zone`. */
  readonly next = async (at: string, zone: string): Promise<NextAlarm> => {
    const query = new URLSearchParams({ at, tz: zone });
    const url = `${gatewayUrl(this.endpoints, NEXT_TIME_PATH)}?${query.toString()}`;
    const next = parseNextAlarm(await callJson(this.fetch, url, { method: 'GET' }, nextFailure));
    if (next === null) throw new ApiError(null, 'The server sent something that is not an alarm time.');
    return next;
  };
}

function nextFailure({ status, body }: Failure): string {
  const sentence = serverSentence(body);
  if (sentence !== null) return sentence;
  if (status === 404) return 'This server cannot set alarms yet (no /api/time/next).';
  if (status >= 500) return 'The time service is not answering; retry shortly.';
  return `The server answered ${status}.`;
}

/**
 * The timer for an alarm: the seconds from `nowMs` (the server's clock) to
 * when it rings, rounded up so it never rings early, at least 1; named
 * after the person's label or "Alarm 07:30 Europe/Berlin".
 */
export function alarmTimer(next: NextAlarm, nowMs: number, label: string): NewTimer {
  const total = Math.max(1, Math.ceil((next.unixMs - nowMs) / 1000 - 1e-9));
  return {
    hours: Math.floor(total / 3600),
    minutes: Math.floor((total % 3600) / 60),
    seconds: total % 60,
    label: label.trim() !== '' ? label.trim() : `Alarm ${next.at} ${next.timezone}`,
  };
}
