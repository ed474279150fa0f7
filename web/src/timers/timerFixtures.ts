/** Timers for the unit tests: server JSON and parsed timers built from a few fields. */

import type { EventHandlers } from '../shared/eventStream';
import type { Timer, TimerState } from './timerApi';

/** A timer's JSON as the funnel sends it. */
export function timerJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'tmr-1',
    label: 'tea',
    hours: 0,
    minutes: 1,
    seconds: 30,
    state: 'pending',
    created_at: '2026-11-23T20:00:00.000Z',
    fires_at: '2026-11-23T20:01:30.000Z',
    fires_at_unix_ms: 1_795_464_090_000,
    ended_at_unix_ms: null,
    late_ms: 0,
    owned: false,
    ...overrides,
  };
}

/** A parsed timer. */
export function timer(id: string, state: TimerState, firesAtMs: number, extra: Partial<Timer> = {}): Timer {
  return {
    id,
    label: id,
    hours: 0,
    minutes: 0,
    seconds: 2,
    state,
    firesAtMs,
    createdAt: '',
    endedAtMs: state === 'pending' ? null : firesAtMs,
    lateMs: 0,
    owned: false,
    ...extra,
  };
}

/** An event stream the test opens, feeds and inspects by hand. */
export class FakeStream {
  closed = false;
  constructor(
    readonly url: string,
    readonly handlers: EventHandlers,
  ) {}
  close(): void {
    this.closed = true;
  }
  send(seq: number, kind: string, t: Timer): void {
    this.handlers.onEvent(JSON.stringify({ seq, kind, timer: json(t) }));
  }
}

/** A parsed timer back as the server's JSON. */
export function json(t: Timer): Record<string, unknown> {
  return {
    id: t.id,
    label: t.label,
    hours: t.hours,
    minutes: t.minutes,
    seconds: t.seconds,
    state: t.state,
    created_at: t.createdAt,
    fires_at: new Date(t.firesAtMs).toISOString(),
    fires_at_unix_ms: t.firesAtMs,
    ended_at_unix_ms: t.endedAtMs,
    late_ms: t.lateMs,
    owned: t.owned,
  };
}
