// /status.json checked on arrival, the table's texts as clocker ps writes them, the summary,
// and the reducer: rows kept through failures, restarts that went up highlighted for a while.
import { describe, expect, it } from 'vitest';
import {
  HIGHLIGHT_MS,
  describeRestarted,
  formatPid,
  formatProbe,
  formatUptime,
  highlighted,
  initialStatus,
  parseServiceRow,
  parseStatusReport,
  readAnswer,
  reduceStatus,
  restartedNames,
  summarize,
  toneOf,
  type ServiceRow,
  type StatusReport,
} from './status';

const T = 1_795_000_000_000;

const HOURS_JSON = {
  name: 'hours',
  pid: 21980,
  addr: '127.0.0.1:46623',
  state: 'ready',
  restarts: 0,
  uptime_s: 12,
  last_error: null,
  probe_p99_ms: 6.7,
  overruns: null,
};

function row(name: string, fields: Partial<ServiceRow> = {}): ServiceRow {
  return {
    name,
    pid: 100,
    addr: '127.0.0.1:1',
    state: 'ready',
    restarts: 0,
    uptimeS: 1,
    lastError: null,
    probeP99Ms: 1,
    overruns: null,
    notReady: null,
    ...fields,
  };
}

const supervised = (...services: ServiceRow[]): StatusReport => ({ supervised: true, services });

describe('parseServiceRow', () => {
  it('reads a row as the funnel sends it', () => {
    expect(parseServiceRow(HOURS_JSON)).toEqual({
      name: 'hours',
      pid: 21980,
      addr: '127.0.0.1:46623',
      state: 'ready',
      restarts: 0,
      uptimeS: 12,
      lastError: null,
      probeP99Ms: 6.7,
      overruns: null,
      notReady: null,
    });
  });

  it('reads why a service that is up is not ready', () => {
    const parsed = parseServiceRow({
      ...HOURS_JSON,
      name: 'timers',
      state: 'not ready',
      not_ready: 'database: unreachable: connection refused',
    });
    expect(parsed).toMatchObject({ state: 'not ready', notReady: 'database: unreachable: connection refused' });
    expect(parseServiceRow({ ...HOURS_JSON, not_ready: '' })?.notReady).toBeNull();
  });

  it('takes nulls and missing optional fields as unknown', () => {
    const parsed = parseServiceRow({
      name: 'hours',
      pid: null,
      addr: '127.0.0.1:1',
      state: 'restarting',
      restarts: 2,
      uptime_s: null,
      last_error: 'killed by SIGKILL',
    });
    expect(parsed).toMatchObject({
      pid: null,
      uptimeS: null,
      probeP99Ms: null,
      overruns: null,
      lastError: 'killed by SIGKILL',
    });
  });

  it('keeps states it does not know, and overruns', () => {
    expect(parseServiceRow({ ...HOURS_JSON, state: 'draining' })?.state).toBe('draining');
    expect(parseServiceRow({ ...HOURS_JSON, overruns: '/clocker.v1.Hours/GetHours: 3.0 %' })?.overruns).toBe(
      '/clocker.v1.Hours/GetHours: 3.0 %',
    );
  });

  it('refuses what is not a row', () => {
    for (const bad of [
      null,
      [],
      'hours',
      { ...HOURS_JSON, name: '' },
      { ...HOURS_JSON, name: 7 },
      { ...HOURS_JSON, state: null },
      { ...HOURS_JSON, restarts: -1 },
      { ...HOURS_JSON, restarts: '1' },
      { ...HOURS_JSON, pid: 'x' },
      { ...HOURS_JSON, uptime_s: Number.NaN },
      { ...HOURS_JSON, probe_p99_ms: '6.7' },
    ]) {
      expect(parseServiceRow(bad)).toBeNull();
    }
  });
});

describe('parseStatusReport', () => {
  it('reads supervised and unsupervised answers, skipping malformed rows', () => {
    const report = parseStatusReport({ supervised: true, services: [HOURS_JSON, { name: 'x' }, 3] });
    expect(report?.supervised).toBe(true);
    expect(report?.services.map((r) => r.name)).toEqual(['hours']);
    expect(parseStatusReport({ supervised: false, services: [] })).toEqual({ supervised: false, services: [] });
  });

  it('refuses what is not a report', () => {
    expect(parseStatusReport(null)).toBeNull();
    expect(parseStatusReport({ services: [] })).toBeNull();
    expect(parseStatusReport({ supervised: 'yes', services: [] })).toBeNull();
    expect(parseStatusReport({ supervised: true, services: {} })).toBeNull();
  });
});

describe('readAnswer', () => {
  it('gives the report of a 200', () => {
    expect(readAnswer(200, { supervised: false, services: [] })).toEqual({
      ok: true,
      report: { supervised: false, services: [] },
    });
  });

  it('says what is wrong otherwise, with the server’s own words when it sent some', () => {
    expect(readAnswer(200, { hello: 1 })).toEqual({
      ok: false,
      problem: 'The funnel sent something that is not a status.',
    });
    expect(readAnswer(200, null)).toMatchObject({ ok: false });
    expect(readAnswer(503, { error: 'the supervisor is not answering; retry shortly' })).toEqual({
      ok: false,
      problem: 'The supervisor is not answering; retry shortly',
    });
    expect(readAnswer(503, null)).toEqual({ ok: false, problem: 'The supervisor is not answering; retrying.' });
    expect(readAnswer(404, null)).toMatchObject({ ok: false, problem: expect.stringContaining('/status.json') });
    expect(readAnswer(500, { error: ' ' })).toEqual({ ok: false, problem: 'The funnel answered 500.' });
  });
});

describe('formatting', () => {
  it('writes uptime as clocker ps does', () => {
    expect(formatUptime(0)).toBe('0s');
    expect(formatUptime(12)).toBe('12s');
    expect(formatUptime(59)).toBe('59s');
    expect(formatUptime(60)).toBe('1m00s');
    expect(formatUptime(75)).toBe('1m15s');
    expect(formatUptime(185)).toBe('3m05s');
    expect(formatUptime(3599)).toBe('59m59s');
    expect(formatUptime(3600)).toBe('1h00m');
    expect(formatUptime(3720)).toBe('1h02m');
    expect(formatUptime(26 * 3600 + 3 * 60 + 59)).toBe('26h03m');
    expect(formatUptime(null)).toBe('—');
  });

  it('writes the probe p99 to a tenth of a millisecond, and the pid', () => {
    expect(formatProbe(6.7)).toBe('6.7 ms');
    expect(formatProbe(0.42)).toBe('0.4 ms');
    expect(formatProbe(12)).toBe('12.0 ms');
    expect(formatProbe(null)).toBe('—');
    expect(formatPid(21980)).toBe('21980');
    expect(formatPid(null)).toBe('—');
  });

  it('colours states', () => {
    expect(toneOf('ready')).toBe('ok');
    expect(toneOf('starting')).toBe('warn');
    expect(toneOf('restarting')).toBe('warn');
    expect(toneOf('unhealthy')).toBe('bad');
    expect(toneOf('not ready')).toBe('warn');
    expect(toneOf('draining')).toBe('idle');
  });

  it('sums the services up by state', () => {
    const ready = Array.from({ length: 11 }, (_, i) => row(`s${i}`));
    expect(summarize(ready)).toBe('11 services, 11 ready');
    expect(summarize([row('hours')])).toBe('1 service, 1 ready');
    expect(summarize([])).toBe('0 services, 0 ready');
    expect(
      summarize([
        row('a', { state: 'unhealthy' }),
        row('b', { state: 'draining' }),
        row('c'),
        row('d', { state: 'starting' }),
        row('e', { state: 'restarting' }),
        row('f', { state: 'starting' }),
      ]),
    ).toBe('6 services, 1 ready, 2 starting, 1 restarting, 1 unhealthy, 1 draining');
    expect(summarize([row('a', { state: 'starting' })])).toBe('1 service, 0 ready, 1 starting');
    expect(summarize([row('a', { state: 'not ready' }), row('b')])).toBe('2 services, 1 ready, 1 not ready');
  });

  it('names the services that restarted', () => {
    expect(describeRestarted([])).toBeNull();
    expect(describeRestarted(['hours'])).toBe('hours restarted');
    expect(describeRestarted(['hours', 'minutes'])).toBe('hours and minutes restarted');
    expect(describeRestarted(['hours', 'minutes', 'seconds'])).toBe('hours, minutes and seconds restarted');
  });
});

describe('reduceStatus', () => {
  it('starts loading, then shows the supervised services', () => {
    expect(initialStatus.phase).toBe('loading');
    const state = reduceStatus(initialStatus, { type: 'answer', report: supervised(row('hours')), atMs: T });
    expect(state).toMatchObject({ phase: 'supervised', problem: null, updatedAtMs: T });
    expect(state.services.map((r) => r.name)).toEqual(['hours']);
    expect(highlighted(state, T)).toEqual([]);
  });

  it('knows a funnel without a supervisor', () => {
    const state = reduceStatus(initialStatus, {
      type: 'answer',
      report: { supervised: false, services: [row('ignored')] },
      atMs: T,
    });
    expect(state.phase).toBe('unsupervised');
    expect(state.services).toEqual([]);
  });

  it('keeps the last rows through a failure, and forgets the failure on the next answer', () => {
    let state = reduceStatus(initialStatus, { type: 'answer', report: supervised(row('hours')), atMs: T });
    state = reduceStatus(state, { type: 'failure', problem: 'The supervisor is not answering', atMs: T + 1000 });
    expect(state).toMatchObject({ phase: 'supervised', problem: 'The supervisor is not answering', updatedAtMs: T });
    expect(state.services).toHaveLength(1);
    state = reduceStatus(state, { type: 'answer', report: supervised(row('hours')), atMs: T + 2000 });
    expect(state.problem).toBeNull();

    const failed = reduceStatus(initialStatus, { type: 'failure', problem: 'x', atMs: T });
    expect(failed.phase).toBe('loading');
  });

  it('highlights a row whose restarts went up, for a while, even across a failure', () => {
    let state = reduceStatus(initialStatus, {
      type: 'answer',
      report: supervised(row('hours'), row('minutes')),
      atMs: T,
    });
    state = reduceStatus(state, {
      type: 'answer',
      report: supervised(row('hours', { restarts: 1, state: 'restarting' }), row('minutes')),
      atMs: T + 1000,
    });
    expect(highlighted(state, T + 1000)).toEqual(['hours']);
    state = reduceStatus(state, { type: 'failure', problem: 'x', atMs: T + 2000 });
    expect(highlighted(state, T + 2000)).toEqual(['hours']);
    // Ready again, same count: still highlighted until the time is up.
    state = reduceStatus(state, {
      type: 'answer',
      report: supervised(row('hours', { restarts: 1 }), row('minutes')),
      atMs: T + 3000,
    });
    expect(highlighted(state, T + 3000)).toEqual(['hours']);
    expect(highlighted(state, T + 1000 + HIGHLIGHT_MS)).toEqual([]);
    state = reduceStatus(state, {
      type: 'answer',
      report: supervised(row('hours', { restarts: 1 }), row('minutes')),
      atMs: T + 1000 + HIGHLIGHT_MS,
    });
    expect(state.highlights.size).toBe(0);
  });

  it('keeps the same highlights object while nothing changes', () => {
    const state = reduceStatus(initialStatus, { type: 'answer', report: supervised(row('hours')), atMs: T });
    const next = reduceStatus(state, { type: 'answer', report: supervised(row('hours')), atMs: T + 1000 });
    expect(next.highlights).toBe(state.highlights);
  });
});

describe('restartedNames', () => {
  it('names rows whose count went up, not new rows nor counts that went down', () => {
    const prev = [row('hours', { restarts: 1 }), row('minutes'), row('seconds', { restarts: 3 })];
    const next = [
      row('hours', { restarts: 2 }),
      row('minutes', { restarts: 1 }),
      row('seconds', { restarts: 0 }),
      row('funnel', { restarts: 4 }),
    ];
    expect(restartedNames(prev, next)).toEqual(['hours', 'minutes']);
    expect(restartedNames([], next)).toEqual([]);
  });
});
