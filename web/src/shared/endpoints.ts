/**
 * Where the page's REST calls and event streams go. The funnel serves
 * `/config.json` on the page's own origin: `{"gateway":"…","stream":"…"}`,
 * the base URLs of the REST gateway and the SSE stream service (no trailing
 * slash). An empty string means "this origin" (behind an Ingress), and so
 * does a config that cannot be had: the page then uses relative URLs.
 */
import { isRecord } from './json';

export interface Endpoints {
  /** The REST gateway's base URL (`http://host:8081`), or '' for this origin. */
  readonly gateway: string;
  /** The SSE stream service's base URL (`http://host:8085`), or '' for this origin. */
  readonly stream: string;
}

export const SAME_ORIGIN: Endpoints = Object.freeze({ gateway: '', stream: '' });

export const CONFIG_PATH = '/config.json';

/** How long the page waits for `/config.json` before using its own origin. */
export const CONFIG_TIMEOUT_MS = 3_000;

/**
 * A base URL from the config: an absolute http(s) URL without a trailing
 * slash, or '' (this origin) for an empty, missing or unusable value.
 */
export function baseUrl(value: unknown): string {
  if (typeof value !== 'string') return '';
  const text = value.trim();
  if (text === '') return '';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return '';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return '';
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** The endpoints `/config.json` names; each one it does not name well is this origin. */
export function parseConfig(value: unknown): Endpoints {
  if (!isRecord(value)) return SAME_ORIGIN;
  const { gateway, stream } = value;
  return { gateway: baseUrl(gateway), stream: baseUrl(stream) };
}

/** `path` (starting with `/`) on the gateway: `http://host:8081/api/timers`, or `/api/timers`. */
export function gatewayUrl(endpoints: Endpoints, path: string): string {
  return `${endpoints.gateway}${path}`;
}

/** `path` (starting with `/`) on the stream service: `http://host:8085/stream`, or `/stream`. */
export function streamUrl(endpoints: Endpoints, path: string): string {
  return `${endpoints.stream}${path}`;
}

export type FetchConfig = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Fetches `/config.json`; on any failure (unreachable, not 200, not JSON,
 * too slow) the page's own origin, quietly: a page served without a config
 * still works where the services share its origin.
 */
export async function loadEndpoints(fetch: FetchConfig, timeoutMs = CONFIG_TIMEOUT_MS): Promise<Endpoints> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(CONFIG_PATH, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
      signal: abort.signal,
    });
    if (!response.ok) return SAME_ORIGIN;
    return parseConfig(await response.json());
  } catch {
    return SAME_ORIGIN;
  } finally {
    clearTimeout(timer);
  }
}
