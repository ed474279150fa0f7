// The funnel's /config.json read into base URLs, URLs built on them, and a missing config falling back quietly.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CONFIG_PATH,
  SAME_ORIGIN,
  baseUrl,
  gatewayUrl,
  loadEndpoints,
  parseConfig,
  streamUrl,
  type FetchConfig,
} from './endpoints';

afterEach(() => {
  vi.useRealTimers();
});

describe('baseUrl', () => {
  it('keeps an absolute http(s) URL without its trailing slash', () => {
    expect(baseUrl('http://127.0.0.1:8081')).toBe('http://127.0.0.1:8081');
    expect(baseUrl('https://clocker.example/')).toBe('https://clocker.example');
    expect(baseUrl(' http://host:8085/prefix/ ')).toBe('http://host:8085/prefix');
  });

  it('is this origin for empty, missing or unusable values', () => {
    expect(baseUrl('')).toBe('');
    expect(baseUrl('   ')).toBe('');
    expect(baseUrl(undefined)).toBe('');
    expect(baseUrl(8081)).toBe('');
    expect(baseUrl('not a url')).toBe('');
    expect(baseUrl('/relative')).toBe('');
    expect(baseUrl('javascript:alert(1)')).toBe('');
    expect(baseUrl('ftp://host/')).toBe('');
  });
});

describe('parseConfig', () => {
  it('reads both base URLs', () => {
    expect(parseConfig({ gateway: 'http://127.0.0.1:8081', stream: 'http://127.0.0.1:8085' })).toEqual({
      gateway: 'http://127.0.0.1:8081',
      stream: 'http://127.0.0.1:8085',
    });
  });

  it('takes empty strings (behind an Ingress) as this origin, one field at a time', () => {
    expect(parseConfig({ gateway: '', stream: '' })).toEqual(SAME_ORIGIN);
    expect(parseConfig({ gateway: 'http://gw:8081' })).toEqual({ gateway: 'http://gw:8081', stream: '' });
  });

  it('takes anything that is not an object as this origin', () => {
    expect(parseConfig(null)).toEqual(SAME_ORIGIN);
    expect(parseConfig('http://gw:8081')).toEqual(SAME_ORIGIN);
    expect(parseConfig([1, 2])).toEqual(SAME_ORIGIN);
  });
});

describe('gatewayUrl and streamUrl', () => {
  const endpoints = { gateway: 'http://127.0.0.1:8081', stream: 'http://127.0.0.1:8085' };

  it('put the path on the base URL', () => {
    expect(gatewayUrl(endpoints, '/api/timers')).toBe('http://127.0.0.1:8081/api/timers');
    expect(streamUrl(endpoints, '/stream')).toBe('http://127.0.0.1:8085/stream');
  });

  it('are relative on this origin', () => {
    expect(gatewayUrl(SAME_ORIGIN, '/api/timers')).toBe('/api/timers');
    expect(streamUrl(SAME_ORIGIN, '/stream/timers')).toBe('/stream/timers');
  });
});

describe('loadEndpoints', () => {
  const json = (status: number, body: unknown) =>
    Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));

  it('fetches /config.json from this origin', async () => {
    const fetch = vi.fn<FetchConfig>(() => json(200, { gateway: 'http://h:1/', stream: 'http://h:2' }));
    expect(await loadEndpoints(fetch)).toEqual({ gateway: 'http://h:1', stream: 'http://h:2' });
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0]?.[0]).toBe(CONFIG_PATH);
  });

  it('falls back to this origin when the config is missing, broken or unreachable', async () => {
    expect(await loadEndpoints(() => json(404, { error: 'not found' }))).toEqual(SAME_ORIGIN);
    expect(await loadEndpoints(() => Promise.resolve(new Response('<!doctype html>', { status: 200 })))).toEqual(
      SAME_ORIGIN,
    );
    expect(await loadEndpoints(() => Promise.reject(new TypeError('Failed to fetch')))).toEqual(SAME_ORIGIN);
  });

  it('gives up on a config that takes too long', async () => {
    vi.useFakeTimers();
    const fetch: FetchConfig = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    const loaded = loadEndpoints(fetch, 1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await loaded).toEqual(SAME_ORIGIN);
  });
});
