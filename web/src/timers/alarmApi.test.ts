// The alarm client against a fake fetch: the gateway's /api/time/next contract, checked on arrival; the timer it becomes.
import { describe, expect, it, vi } from 'vitest';
import { ApiError, type Fetch } from '../shared/apiCall';
import { AlarmApi, alarmTimer, parseNextAlarm, type NextAlarm } from './alarmApi';

const SPRING_FORWARD = {
  at: '02:30',
  timezone: 'Europe/Berlin',
  fires_at: '2027-03-28T03:30:00+02:00',
  unix_ms: Date.parse('2027-03-28T03:30:00+02:00'),
  in_seconds: 3600,
  adjustment: 'skipped',
  note: '02:30 does not exist in Europe/Berlin on Sunday 28 March 2027 (clocks go forward from 02:00 to 03:00); the alarm rings at 03:30 CEST.',
};

function fakeFetch(status: number, body: unknown) {
  return vi.fn<Fetch>(() => Promise.resolve(new Response(JSON.stringify(body), { status })));
}

describe('AlarmApi.next', () => {
  it('asks the gateway for the next time of day in the zone, and reads the answer', async () => {
    const fetch = fakeFetch(200, SPRING_FORWARD);
    const next = await new AlarmApi(fetch, { gateway: 'http://gw:8081', stream: '' }).next('02:30', 'Europe/Berlin');
    expect(fetch).toHaveBeenCalledOnce();
    expect(fetch.mock.calls[0]?.[0]).toBe('http://gw:8081/api/time/next?at=02%3A30&tz=Europe%2FBerlin');
    expect(next).toEqual({
      at: '02:30',
      timezone: 'Europe/Berlin',
      firesAt: '2027-03-28T03:30:00+02:00',
      unixMs: SPRING_FORWARD.unix_ms,
      inSeconds: 3600,
      adjustment: 'skipped',
      note: SPRING_FORWARD.note,
    } satisfies NextAlarm);
  });

  it('passes on the server’s refusal as a sentence', async () => {
    const api = new AlarmApi(fakeFetch(400, { error: 'unknown time zone "Mars/Base"' }), { gateway: '', stream: '' });
    await expect(api.next('07:30', 'Mars/Base')).rejects.toEqual(new ApiError(400, 'Unknown time zone "Mars/Base"'));
  });

  it('says so when the server has no such route yet, or answers nonsense', async () => {
    const missing = new AlarmApi(fakeFetch(404, null), { gateway: '', stream: '' });
    await expect(missing.next('07:30', 'UTC')).rejects.toThrow('cannot set alarms yet');
    const odd = new AlarmApi(fakeFetch(200, { at: '07:30' }), { gateway: '', stream: '' });
    await expect(odd.next('07:30', 'UTC')).rejects.toThrow('not an alarm time');
  });
});

describe('parseNextAlarm', () => {
  it('refuses an unknown adjustment or a negative wait', () => {
    expect(parseNextAlarm({ ...SPRING_FORWARD, adjustment: 'moved' })).toBeNull();
    expect(parseNextAlarm({ ...SPRING_FORWARD, in_seconds: -1 })).toBeNull();
    expect(parseNextAlarm({ ...SPRING_FORWARD, note: undefined })?.note).toBe('');
  });
});

describe('alarmTimer', () => {
  const next = parseNextAlarm(SPRING_FORWARD) as NextAlarm;

  it('runs from now on the server’s clock to the ringing, rounded up, named after the time and zone', () => {
    expect(alarmTimer(next, next.unixMs - 9 * 3600_000 - 12 * 60_000 - 400, '')).toEqual({
      hours: 9,
      minutes: 12,
      seconds: 1,
      label: 'Alarm 02:30 Europe/Berlin',
    });
  });

  it('keeps the person’s label, and never asks for less than a second', () => {
    expect(alarmTimer(next, next.unixMs + 5_000, ' wake up ')).toEqual({
      hours: 0,
      minutes: 0,
      seconds: 1,
      label: 'wake up',
    });
  });
});
