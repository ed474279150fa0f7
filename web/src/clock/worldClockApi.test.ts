// The world clock's calls on the gateway, against a fake fetch.
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../shared/apiCall';
import { WorldClockApi, parseUtcOffset } from './worldClockApi';

const ENDPOINTS = { gateway: 'http://gw.test', stream: '' };

/** A fetch that answers every call with `status` and `body`, recording the calls. */
function fakeFetch(status: number, body: unknown) {
  return vi.fn(async (_url: string, _init?: RequestInit) =>
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    }),
  );
}

describe('WorldClockApi', () => {
  it('loads the account’s zones with the bearer token, dropping unknown ones', async () => {
    const fetch = fakeFetch(200, { zones: ['Asia/Tokyo', 'Nowhere/At_All', 'europe/paris'] });
    const zones = await new WorldClockApi(fetch, ENDPOINTS).loadZones('tok-1');
    expect(zones).toEqual(['Asia/Tokyo', 'Europe/Paris']);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('http://gw.test/api/account/world-clock');
    expect(init?.method).toBe('GET');
    expect(new Headers(init?.headers).get('authorization')).toBe('Bearer tok-1');
  });

  it('saves the zones as JSON with PUT', async () => {
    const fetch = fakeFetch(204, undefined);
    await new WorldClockApi(fetch, ENDPOINTS).saveZones('tok-2', ['UTC', 'Asia/Tokyo']);
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('http://gw.test/api/account/world-clock');
    expect(init?.method).toBe('PUT');
    expect(JSON.parse(String(init?.body))).toEqual({ zones: ['UTC', 'Asia/Tokyo'] });
    expect(new Headers(init?.headers).get('authorization')).toBe('Bearer tok-2');
    expect(new Headers(init?.headers).get('content-type')).toBe('application/json');
  });

  it('turns a 401 into an ApiError saying to sign in again', async () => {
    const api = new WorldClockApi(fakeFetch(401, { error: 'session ended' }), ENDPOINTS);
    const failure = await api.loadZones('old').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).status).toBe(401);
    expect((failure as ApiError).message).toMatch(/sign in again/);
  });

  it('rejects an answer without a list', async () => {
    await expect(new WorldClockApi(fakeFetch(200, { zone: 'UTC' }), ENDPOINTS).loadZones('t')).rejects.toThrow(
      'no list of zones',
    );
  });

  it('asks /api/time for a zone’s offset', async () => {
    const fetch = fakeFetch(200, { utc_offset: '+05:45', unix_ms: 1, timezone: 'Asia/Kathmandu' });
    expect(await new WorldClockApi(fetch, ENDPOINTS).zoneOffset('Asia/Kathmandu')).toBe(20_700_000);
    expect(fetch.mock.calls[0]![0]).toBe('http://gw.test/api/time?tz=Asia%2FKathmandu');
  });

  it('fails when the gateway cannot be reached', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('network');
    });
    await expect(new WorldClockApi(fetch, ENDPOINTS).zoneOffset('UTC')).rejects.toBeInstanceOf(ApiError);
  });
});

describe('parseUtcOffset', () => {
  it('reads signed hours and minutes', () => {
    expect(parseUtcOffset('+09:00')).toBe(9 * 3_600_000);
    expect(parseUtcOffset('-03:30')).toBe(-3.5 * 3_600_000);
    expect(parseUtcOffset('+00:00')).toBe(0);
  });

  it('refuses anything else', () => {
    expect(parseUtcOffset('9:00')).toBeNull();
    expect(parseUtcOffset('Z')).toBeNull();
    expect(parseUtcOffset(32400)).toBeNull();
  });
});
