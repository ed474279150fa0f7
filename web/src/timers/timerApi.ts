/**
 * The timers: `/api/timers` on the REST gateway and their Server-Sent Events
 * at `/stream/timers` on the stream service (base URLs from `endpoints.ts`),
 * the timer JSON and events checked as they arrive (anything malformed is
 * dropped, never trusted), and the calls the Timers page makes. `fetch` is
 * injected, so tests run without a network.
 */

import { ApiError as TimerApiError, callJson, serverSentence, type Failure, type Fetch } from '../shared/apiCall';
import { gatewayUrl, streamUrl, type Endpoints } from '../shared/endpoints';
import { isCount, isFiniteNumber, isRecord, parseJson } from '../shared/json';

export { ApiError as TimerApiError, type Fetch } from '../shared/apiCall';

export type TimerState = 'pending' | 'fired' | 'cancelled';
export type TimerEventKind = 'set' | 'fired' | 'cancelled';

export interface Timer {
  readonly id: string;
  readonly label: string;
  /** The duration as asked for (not normalised: 90 seconds stays 90). */
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly state: TimerState;
  /** When it fires (fired), fired or would have (cancelled): server clock, unix ms. */
  readonly firesAtMs: number;
  readonly createdAt: string;
  /** When it fired or was cancelled, server clock, unix ms; null while pending. */
  readonly endedAtMs: number | null;
  /** How long after `firesAtMs` it fired. */
  readonly lateMs: number;
  /** Whether an account owns it (else it is anonymous, reached only by its id). */
  readonly owned: boolean;
}

export interface TimerEvent {
  readonly seq: number;
  readonly kind: TimerEventKind;
  /** The timer as the event left it. */
  readonly timer: Timer;
}

/** What `POST /api/timers` takes. */
export interface NewTimer {
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly label: string;
}

/** On the gateway. */
export const TIMERS_PATH = '/api/timers';
/** On the stream service: `event: timer` messages, resumable with Last-Event-ID. */
export const EVENTS_PATH = '/stream/timers';

/** The timer events' URL on the stream service. */
export function timerEventsUrl(endpoints: Endpoints): string {
  return streamUrl(endpoints, EVENTS_PATH);
}

const STATES: readonly string[] = ['pending', 'fired', 'cancelled'] satisfies TimerState[];
const KINDS: readonly string[] = ['set', 'fired', 'cancelled'] satisfies TimerEventKind[];

/** A timer from its JSON, or null when it is not one. */
export function parseTimer(value: unknown): Timer | null {
  if (!isRecord(value)) return null;
  const { id, label, hours, minutes, seconds, state, created_at, fires_at_unix_ms, ended_at_unix_ms, late_ms, owned } =
    value;
  if (typeof id !== 'string' || id === '') return null;
  if (typeof state !== 'string' || !STATES.includes(state)) return null;
  if (!isCount(hours) || !isCount(minutes) || !isCount(seconds)) return null;
  if (!isFiniteNumber(fires_at_unix_ms)) return null;
  if (ended_at_unix_ms !== null && ended_at_unix_ms !== undefined && !isFiniteNumber(ended_at_unix_ms)) return null;
  return {
    id,
    label: typeof label === 'string' ? label : '',
    hours,
    minutes,
    seconds,
    state: state as TimerState,
    firesAtMs: fires_at_unix_ms,
    createdAt: typeof created_at === 'string' ? created_at : '',
    endedAtMs: isFiniteNumber(ended_at_unix_ms) ? ended_at_unix_ms : null,
    lateMs: isFiniteNumber(late_ms) && late_ms > 0 ? late_ms : 0,
    owned: owned === true,
  };
}

/** One `event: timer` of the stream (its `data:` text), or null when malformed. */
export function parseTimerEvent(text: string): TimerEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  const { seq, kind } = value;
  const timer = parseTimer(value.timer);
  if (!isFiniteNumber(seq) || typeof kind !== 'string' || !KINDS.includes(kind) || timer === null) return null;
  return { seq, kind: kind as TimerEventKind, timer };
}

/** Whether `data` is the stream's `"kind":"dropped"` event (retention deleted events since the last one seen). */
export function isDropped(data: string): boolean {
  const value = parseJson(data);
  return isRecord(value) && value.kind === 'dropped';
}

/** The timers of `GET /api/timers` (`{"timers":[…]}`), skipping malformed ones; null if it is not a list. */
export function parseTimerList(value: unknown): Timer[] | null {
  if (!isRecord(value) || !Array.isArray(value.timers)) return null;
  return value.timers.flatMap((item: unknown) => {
    const timer = parseTimer(item);
    return timer === null ? [] : [timer];
  });
}

/**
 * A fresh idempotency key: 128 random bits in hex. (`crypto.getRandomValues`
 * works on plain-HTTP pages too; `crypto.randomUUID` needs a secure context.)
 */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export class TimerApi {
  private readonly fetch: Fetch;
  private readonly endpoints: Endpoints;
  private readonly token: () => string | null;

  /** `token`: the signed-in session's, sent as `Authorization: Bearer` (none: the timers are anonymous). */
  constructor(fetch: Fetch, endpoints: Endpoints, token: () => string | null = () => null) {
    this.fetch = fetch;
    this.endpoints = endpoints;
    this.token = token;
  }

  /** `GET /api/timers`: the page's timers, newest first. */
  async list(): Promise<Timer[]> {
    const timers = parseTimerList(await this.call(TIMERS_PATH, { method: 'GET' }));
    if (timers === null) throw new TimerApiError(null, 'The server sent something that is not a list of timers.');
    return timers;
  }

  /** `GET /api/timers/{id}`. */
  async get(id: string): Promise<Timer> {
    return this.timer(await this.call(timerPath(id), { method: 'GET' }));
  }

  /**
   * `POST /api/timers`: sets a timer, with an idempotency key. When the
   * connection failed, the request may still have reached the server: it is
   * sent once more with the same key, which cannot set a second timer.
   */
  async create(request: NewTimer, key: string = newIdempotencyKey()): Promise<Timer> {
    const init: RequestInit = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(request),
    };
    try {
      return this.timer(await this.call(TIMERS_PATH, init));
    } catch (err) {
      if (!(err instanceof TimerApiError) || err.status !== null) throw err;
      return this.timer(await this.call(TIMERS_PATH, init));
    }
  }

  /** `DELETE /api/timers/{id}`: the timer, cancelled (or unchanged when it had already ended). */
  async cancel(id: string): Promise<Timer> {
    return this.timer(await this.call(timerPath(id), { method: 'DELETE' }));
  }

  private timer(value: unknown): Timer {
    const timer = parseTimer(value);
    if (timer === null) throw new TimerApiError(null, 'The server sent something that is not a timer.');
    return timer;
  }

  /** The JSON body of a successful call to `path` on the gateway, as the signed-in account if there is one. */
  private call(path: string, init: RequestInit): Promise<unknown> {
    const token = this.token();
    const headers = token === null ? init.headers : { ...init.headers, authorization: `Bearer ${token}` };
    return callJson(this.fetch, gatewayUrl(this.endpoints, path), { ...init, headers }, timerFailure);
  }
}

function timerPath(id: string): string {
  return `${TIMERS_PATH}/${encodeURIComponent(id)}`;
}

function timerFailure({ status, body }: Failure): string {
  return errorMessage(status, body);
}

/** The server's `{"error":"…"}`, or a sentence for the status when it sent none. */
export function errorMessage(status: number, body: unknown): string {
  const sentence = serverSentence(body);
  if (sentence !== null) return sentence;
  switch (status) {
    case 400:
      return 'The server did not accept that timer.';
    case 401:
      return 'Your session has ended; sign in again.';
    case 403:
      return 'That timer is not yours.';
    case 404:
      return 'No such timer.';
    case 502:
    case 503:
    case 504:
      return 'The timer service is not answering; retry shortly.';
    default:
      return `The server answered ${status}.`;
  }
}



