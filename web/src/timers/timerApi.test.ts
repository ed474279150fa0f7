// The timer JSON and events as checked on arrival, and the API calls against a mocked fetch.
import { describe, expect, it, vi } from 'vitest';
import { SAME_ORIGIN } from '../shared/endpoints';
import {
  TimerApi,
  TimerApiError,
  parseTimer,
  parseTimerEvent,
  parseTimerList,
  timerEventsUrl,
  type Fetch,
} from './timerApi';
import { timerJson } from './timerFixtures';

describe('parseTimer', () => {
  it('reads the funnel’s timer JSON', () => {
    expect(parseTimer(timerJson({ state: 'fired', ended_at_unix_ms: 1_795_464_090_012, late_ms: 12 }))).toEqual({
      id: 'tmr-1',
      label: 'tea',
      hours: 0,
      minutes: 1,
      seconds: 30,
      state: 'fired',
      firesAtMs: 1_795_464_090_000,
      createdAt: '2026-11-23T20:00:00.000Z',
      endedAtMs: 1_795_464_090_012,
      lateMs: 12,
      owned: false,
    });
    expect(parseTimer(timerJson({ owned: true }))?.owned).toBe(true);
  });

  it('refuses what is not a timer', () => {
    expect(parseTimer(null)).toBeNull();
    expect(parseTimer([])).toBeNull();
    expect(parseTimer(timerJson({ id: '' }))).toBeNull();
    expect(parseTimer(timerJson({ state: 'unknown' }))).toBeNull();
    expect(parseTimer(timerJson({ fires_at_unix_ms: '1795464090000' }))).toBeNull();
    expect(parseTimer(timerJson({ seconds: -1 }))).toBeNull();
    expect(parseTimer(timerJson({ ended_at_unix_ms: 'soon' }))).toBeNull();
  });

  it('tolerates a missing label and lateness', () => {
    const { label: _label, late_ms: _late, ...rest } = timerJson();
    expect(parseTimer(rest)).toMatchObject({ label: '', lateMs: 0 });
  });
});

describe('parseTimerEvent', () => {
  it('reads an event’s data', () => {
    const data = JSON.stringify({ seq: 7, kind: 'cancelled', timer: timerJson({ state: 'cancelled' }) });
    expect(parseTimerEvent(data)).toMatchObject({
      seq: 7,
      kind: 'cancelled',
      timer: { id: 'tmr-1', state: 'cancelled' },
    });
  });

  it('drops malformed events', () => {
    expect(parseTimerEvent('not json')).toBeNull();
    expect(parseTimerEvent(JSON.stringify({ seq: 1, kind: 'exploded', timer: timerJson() }))).toBeNull();
    expect(parseTimerEvent(JSON.stringify({ seq: 1, kind: 'set', timer: null }))).toBeNull();
    expect(parseTimerEvent(JSON.stringify({ kind: 'set', timer: timerJson() }))).toBeNull();
  });
});

describe('parseTimerList', () => {
  it('keeps the timers and skips malformed ones', () => {
    const list = parseTimerList({ timers: [timerJson({ id: 'a' }), { id: 'broken' }, timerJson({ id: 'b' })] });
    expect(list?.map((timer) => timer.id)).toEqual(['a', 'b']);
    expect(parseTimerList({ timers: 'none' })).toBeNull();
  });
});

/** A fetch answering with `status` and `body` (JSON unless a string), recording its calls. */
function fakeFetch(status: number, body: unknown) {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetch: Fetch = (url, init) => {
    calls.push({ url, init });
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return Promise.resolve(new Response(text, { status, headers: { 'content-type': 'application/json' } }));
  };
  return { fetch, calls };
}

const ENDPOINTS = { gateway: 'http://127.0.0.1:8081', stream: 'http://127.0.0.1:8085' };

describe('timerEventsUrl', () => {
  it('is /stream/timers on the stream service, or on this origin', () => {
    expect(timerEventsUrl(ENDPOINTS)).toBe('http://127.0.0.1:8085/stream/timers');
    expect(timerEventsUrl(SAME_ORIGIN)).toBe('/stream/timers');
  });
});

describe('TimerApi', () => {
  it('POSTs a new timer as JSON to the gateway and returns the timer', async () => {
    const { fetch, calls } = fakeFetch(201, timerJson());
    const timer = await new TimerApi(fetch, ENDPOINTS).create({ hours: 0, minutes: 1, seconds: 30, label: 'tea' });
    expect(timer.id).toBe('tmr-1');
    expect(calls[0]?.url).toBe('http://127.0.0.1:8081/api/timers');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ hours: 0, minutes: 1, seconds: 30, label: 'tea' });
    expect(calls[0]?.init?.headers).toMatchObject({ 'content-type': 'application/json' });
    expect((calls[0]?.init?.headers as Record<string, string>)['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('sends a set once more with the same idempotency key when the connection failed', async () => {
    const keys: string[] = [];
    let attempts = 0;
    const fetch: Fetch = (_url, init) => {
      keys.push((init?.headers as Record<string, string>)['idempotency-key'] ?? '');
      attempts += 1;
      if (attempts === 1) return Promise.reject(new TypeError('network error'));
      return Promise.resolve(new Response(JSON.stringify(timerJson()), { status: 201 }));
    };
    const timer = await new TimerApi(fetch, ENDPOINTS).create({ hours: 0, minutes: 1, seconds: 0, label: '' });
    expect(timer.id).toBe('tmr-1');
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    // A new set gets a new key.
    await new TimerApi(fetch, ENDPOINTS).create({ hours: 0, minutes: 1, seconds: 0, label: '' });
    expect(keys[2]).not.toBe(keys[0]);
  });

  it('does not send a refused set again', async () => {
    const { fetch, calls } = fakeFetch(400, { error: 'seconds: must be a whole number' });
    await expect(new TimerApi(fetch, ENDPOINTS).create({ hours: 0, minutes: 0, seconds: 0, label: '' })).rejects.toThrow(
      'must be a whole number',
    );
    expect(calls).toHaveLength(1);
  });

  it('lists, gets and cancels (DELETE) by id, escaping it', async () => {
    const list = fakeFetch(200, { timers: [timerJson()] });
    expect(await new TimerApi(list.fetch, ENDPOINTS).list()).toHaveLength(1);
    expect(list.calls[0]?.url).toBe('http://127.0.0.1:8081/api/timers');

    const cancel = fakeFetch(200, timerJson({ id: 'a/b', state: 'cancelled', ended_at_unix_ms: 1 }));
    expect((await new TimerApi(cancel.fetch, ENDPOINTS).cancel('a/b')).state).toBe('cancelled');
    expect(cancel.calls[0]?.url).toBe('http://127.0.0.1:8081/api/timers/a%2Fb');
    expect(cancel.calls[0]?.init?.method).toBe('DELETE');

    const get = fakeFetch(200, timerJson());
    await new TimerApi(get.fetch, ENDPOINTS).get('tmr-1');
    expect(get.calls[0]?.url).toBe('http://127.0.0.1:8081/api/timers/tmr-1');
    expect(get.calls[0]?.init?.method).toBe('GET');
  });

  it('sends the signed-in session as a bearer token, and nothing when signed out', async () => {
    let token: string | null = 'tok_1';
    const { fetch, calls } = fakeFetch(200, { timers: [] });
    const api = new TimerApi(fetch, ENDPOINTS, () => token);
    await api.list();
    token = null;
    await api.list();
    const header = (n: number) => new Headers(calls[n]?.init?.headers).get('authorization');
    expect(header(0)).toBe('Bearer tok_1');
    expect(header(1)).toBeNull();
    expect(calls.every((call) => !call.url.includes('tok_1'))).toBe(true);
  });

  it('calls relative URLs when the gateway shares the page’s origin', async () => {
    const { fetch, calls } = fakeFetch(200, { timers: [] });
    await new TimerApi(fetch, SAME_ORIGIN).list();
    expect(calls[0]?.url).toBe('/api/timers');
  });

  it('passes on the server’s error with its status', async () => {
    const { fetch } = fakeFetch(400, { error: 'label is over 200 bytes' });
    const call = new TimerApi(fetch, ENDPOINTS).create({ hours: 0, minutes: 0, seconds: 1, label: 'x' });
    await expect(call).rejects.toThrow(TimerApiError);
    await expect(call).rejects.toMatchObject({ status: 400, message: 'Label is over 200 bytes' });
  });

  it('explains a 503 without a JSON body, and a server it cannot reach', async () => {
    const down = fakeFetch(503, 'Service Unavailable');
    await expect(new TimerApi(down.fetch, ENDPOINTS).list()).rejects.toMatchObject({
      status: 503,
      message: 'The timer service is not answering; retry shortly.',
    });
    const offline = new TimerApi(vi.fn<Fetch>().mockRejectedValue(new TypeError('Failed to fetch')), ENDPOINTS);
    await expect(offline.cancel('x')).rejects.toMatchObject({ status: null, message: /Cannot reach the server/ });
  });

  it('refuses a success whose body is not a timer', async () => {
    const { fetch } = fakeFetch(201, { ok: true });
    await expect(new TimerApi(fetch, ENDPOINTS).create({ hours: 0, minutes: 0, seconds: 1, label: '' })).rejects.toThrow(
      /not a timer/,
    );
  });
});
