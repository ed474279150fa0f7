/**
 * One call to a JSON HTTP API (the gateway, the stream service's session
 * cookie): `fetch` injected, the body read as JSON when there is one, and
 * every failure turned into an `ApiError` carrying a sentence for people,
 * the status (null when the server could not be reached) and, on a 429,
 * how long the server asked us to wait (`Retry-After`).
 */
import { isRecord } from './json';

export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** A call that did not succeed; `status` is null when the server could not be reached. */
export class ApiError extends Error {
  readonly status: number | null;
  /** Seconds the server asked to wait before trying again (`Retry-After`), if it said. */
  readonly retryAfterS: number | null;
  constructor(status: number | null, message: string, retryAfterS: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfterS = retryAfterS;
  }
}

/** What a failed call said: its status, its JSON body (or null) and its `Retry-After` in seconds. */
export interface Failure {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfterS: number | null;
}

export const UNREACHABLE = 'Cannot reach the server. Check your connection and try again.';

/**
 * The JSON body (null when there is none, as with 204) of a successful
 * call; an ApiError whose message `describe` words otherwise.
 */
export async function callJson(
  fetch: Fetch,
  url: string,
  init: RequestInit,
  describe: (failure: Failure) => string,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch {
    throw new ApiError(null, UNREACHABLE);
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Empty (204), or an error page: the status says enough.
  }
  if (response.ok) return body;
  const retryAfterS = parseRetryAfter(response.headers.get('retry-after'), Date.now());
  throw new ApiError(response.status, describe({ status: response.status, body, retryAfterS }), retryAfterS);
}

/** `Retry-After` as whole seconds from `nowMs`: delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** The server's `{"error":"…"}` with a capital first letter, or null when it sent none. */
export function serverSentence(body: unknown): string | null {
  if (!isRecord(body)) return null;
  const error = body.error;
  if (typeof error !== 'string' || error.trim() === '') return null;
  const text = error.trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "Too many attempts; try again in 30 s." (in a minute and more: "in 2 min 5 s"). */
export function tooManyAttempts(retryAfterS: number | null): string {
  if (retryAfterS === null || retryAfterS <= 0) return 'Too many attempts; try again shortly.';
  const minutes = Math.floor(retryAfterS / 60);
  const seconds = retryAfterS % 60;
  const wait = [minutes > 0 ? `${minutes} min` : '', seconds > 0 || minutes === 0 ? `${seconds} s` : '']
    .filter(Boolean)
    .join(' ');
  return `Too many attempts; try again in ${wait}.`;
}
