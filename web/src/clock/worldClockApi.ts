/**
 * The world clock on the REST gateway: the signed-in account's list of
 * zones (`GET`/`PUT /api/account/world-clock`, `{"zones":[…]}`, with the
 * session's bearer token; 401 when signed out) and each zone's offset from
 * UTC as the services compute it (`GET /api/time?tz=Zone` →
 * `{"utc_offset":"+09:00",…}`). `fetch` is injected.
 */

import { ApiError, callJson, serverSentence, type Failure, type Fetch } from '../shared/apiCall';
import { gatewayUrl, type Endpoints } from '../shared/endpoints';
import { recordOrEmpty } from '../shared/json';
import { cleanZones } from './worldZones';

export const WORLD_CLOCK_PATH = '/api/account/world-clock';
export const TIME_PATH = '/api/time';

export class WorldClockApi {
  private readonly fetch: Fetch;
  private readonly endpoints: Endpoints;

  constructor(fetch: Fetch, endpoints: Endpoints) {
    this.fetch = fetch;
    this.endpoints = endpoints;
  }

  /** The account's zones (unknown names dropped). */
  async loadZones(token: string): Promise<readonly string[]> {
    return zonesOf(await this.call(WORLD_CLOCK_PATH, { method: 'GET', headers: bearer(token) }));
  }

  /** Saves the account's zones. */
  async saveZones(token: string, zones: readonly string[]): Promise<void> {
    await this.call(WORLD_CLOCK_PATH, {
      method: 'PUT',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify({ zones }),
    });
  }

  /** `zone`'s offset from UTC now, ms, as the services say. */
  async zoneOffset(zone: string): Promise<number> {
    const body = await this.call(`${TIME_PATH}?tz=${encodeURIComponent(zone)}`, { method: 'GET' });
    const offset = parseUtcOffset(recordOrEmpty(body).utc_offset);
    if (offset === null) throw new ApiError(null, 'The server sent no offset.');
    return offset;
  }

  private call(path: string, init: RequestInit): Promise<unknown> {
    return callJson(this.fetch, gatewayUrl(this.endpoints, path), init, worldClockFailure);
  }
}

/** `+09:00`, `-03:30`, `+00:00` as ms; null for anything else. */
export function parseUtcOffset(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = /^([+-])(\d\d):(\d\d)$/.exec(value);
  if (match === null) return null;
  const [, sign, hours, minutes] = match;
  const ms = (Number(hours) * 60 + Number(minutes)) * 60_000;
  return sign === '-' ? -ms : ms;
}

function zonesOf(body: unknown): readonly string[] {
  const { zones } = recordOrEmpty(body);
  if (!Array.isArray(zones)) throw new ApiError(null, 'The server sent no list of zones.');
  return cleanZones(zones.filter((zone): zone is string => typeof zone === 'string'));
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A failed world-clock call in a sentence for people. */
function worldClockFailure({ status, body }: Failure): string {
  switch (status) {
    case 401:
      return 'Your session has ended; sign in again to keep your zones on your account.';
    case 502:
    case 503:
    case 504:
      return 'The services are not answering; try again shortly.';
  }
  return serverSentence(body) ?? `The server answered ${status}.`;
}
