// The account calls against a fake fetch: where they go, what they send, and failures in words.
import { describe, expect, it } from 'vitest';
import { AccountApi } from './accountApi';
import { parseRetryAfter, tooManyAttempts, type Fetch } from '../shared/apiCall';

const ENDPOINTS = { gateway: 'http://127.0.0.1:8081', stream: 'http://127.0.0.1:8085' };

/** A fetch answering `status`, `body` (JSON, or nothing for null) and `headers`, recording its calls. */
function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const fetch: Fetch = (url, init) => {
    calls.push({ url, init });
    return Promise.resolve(new Response(body === null ? null : JSON.stringify(body), { status, headers }));
  };
  return { fetch, calls };
}

const SESSION = {
  token: 'tok_ada',
  expires_at: '2027-01-05T12:00:00Z',
  account: { id: 'a1', username: 'ada', created_at: '' },
};

describe('AccountApi', () => {
  it('signs in with JSON and returns the session; the token is never in a URL', async () => {
    const { fetch, calls } = fakeFetch(200, SESSION);
    const session = await new AccountApi(fetch, ENDPOINTS).login('Ada', 'correct horse');
    expect(session).toEqual({ token: 'tok_ada', username: 'ada', expiresAt: '2027-01-05T12:00:00Z' });
    expect(calls[0]?.url).toBe('http://127.0.0.1:8081/api/sessions');
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ username: 'Ada', password: 'correct horse' });
  });

  it('sets and clears the stream’s cookie with the bearer header, credentials included', async () => {
    const { fetch, calls } = fakeFetch(204, null);
    const api = new AccountApi(fetch, ENDPOINTS);
    await api.openStreamSession('tok_ada');
    await api.closeStreamSession();
    expect(calls.map((call) => [call.url, call.init?.method, call.init?.credentials])).toEqual([
      ['http://127.0.0.1:8085/stream/session', 'POST', 'include'],
      ['http://127.0.0.1:8085/stream/session', 'DELETE', 'include'],
    ]);
    expect(new Headers(calls[0]?.init?.headers).get('authorization')).toBe('Bearer tok_ada');
    expect(calls.every((call) => !call.url.includes('tok_ada'))).toBe(true);
  });

  it('says how long to wait when throttled (429 with Retry-After)', async () => {
    const { fetch } = fakeFetch(429, { error: 'too many failed logins' }, { 'retry-after': '30' });
    await expect(new AccountApi(fetch, ENDPOINTS).login('ada', 'wrong-password')).rejects.toMatchObject({
      status: 429,
      retryAfterS: 30,
      message: 'Too many attempts; try again in 30 s.',
    });
  });

  it('words the other refusals plainly', async () => {
    const wrong = fakeFetch(401, { error: 'wrong username or password' });
    await expect(new AccountApi(wrong.fetch, ENDPOINTS).login('ada', 'nope-nope')).rejects.toThrow(
      'Wrong username or password.',
    );
    const taken = fakeFetch(409, { error: 'username taken' });
    await expect(new AccountApi(taken.fetch, ENDPOINTS).register('ada', 'correct horse')).rejects.toThrow(
      'That username is taken; choose another, or sign in.',
    );
    const bad = fakeFetch(400, { error: 'usernames are 3 to 32 characters long (this one has 2)' });
    await expect(new AccountApi(bad.fetch, ENDPOINTS).register('ab', 'correct horse')).rejects.toThrow(
      'Usernames are 3 to 32 characters long (this one has 2)',
    );
  });

  it('takes a 401 on sign-out as already signed out', async () => {
    const { fetch } = fakeFetch(401, { error: 'session ended' });
    await expect(new AccountApi(fetch, ENDPOINTS).logout('tok_ada')).resolves.toBeUndefined();
  });
});

describe('Retry-After', () => {
  it('reads seconds or a date, and words the wait', () => {
    expect(parseRetryAfter('30', 0)).toBe(30);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:01:00 GMT', 0)).toBe(60);
    expect(parseRetryAfter(null, 0)).toBeNull();
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(tooManyAttempts(30)).toBe('Too many attempts; try again in 30 s.');
    expect(tooManyAttempts(125)).toBe('Too many attempts; try again in 2 min 5 s.');
    expect(tooManyAttempts(120)).toBe('Too many attempts; try again in 2 min.');
    expect(tooManyAttempts(null)).toBe('Too many attempts; try again shortly.');
  });
});
