// The world clock's offsets from the gateway: when they are asked for, and what stands in when they are not known.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AFTER_CHANGE_MS, GatewayOffsets, RETRY_MS, nextRefreshAt } from './gatewayOffsets';

const HOUR = 3_600_000;

describe('nextRefreshAt', () => {
  it('is the next whole hour on an ordinary day', () => {
    const now = Date.parse('2026-07-01T10:20:30Z');
    expect(nextRefreshAt('Europe/Paris', now)).toBe(Date.parse('2026-07-01T11:00:00Z'));
  });

  it('is just after a DST change the browser expects before then', () => {
    // Europe/Paris springs forward at 01:00 UTC on 29 March 2026; Lord Howe changes on the half hour.
    expect(nextRefreshAt('Europe/Paris', Date.parse('2026-03-29T00:40:00Z'))).toBe(
      Date.parse('2026-03-29T01:00:00Z') + AFTER_CHANGE_MS,
    );
    // Lord Howe moves from +10:30 to +11:00 at 02:00 local on 4 October 2026: 15:30 UTC the day before.
    expect(nextRefreshAt('Australia/Lord_Howe', Date.parse('2026-10-03T15:10:00Z'))).toBe(
      Date.parse('2026-10-03T15:30:00Z') + AFTER_CHANGE_MS,
    );
  });
});

describe('GatewayOffsets', () => {
  let answers: Map<string, number | Error>;
  let offsets: GatewayOffsets;
  let asked: string[];

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-07-01T10:59:00Z') });
    answers = new Map();
    asked = [];
    offsets = new GatewayOffsets({
      fetchOffset: async (zone) => {
        asked.push(zone);
        const answer = answers.get(zone);
        if (answer === undefined || answer instanceof Error) throw answer ?? new Error('no answer');
        return answer;
      },
      now: () => Date.now(),
      setTimeout: (run, ms) => Number(setTimeout(run, ms)),
      clearTimeout: (id) => clearTimeout(id),
    });
  });

  afterEach(() => {
    offsets.stop();
    vi.useRealTimers();
  });

  it('draws with the services’ offset once they answer, the browser’s until then', async () => {
    answers.set('Asia/Tokyo', 10 * HOUR); // the services disagree with the browser's +09:00
    offsets.setZones(['Asia/Tokyo']);
    expect(offsets.getSnapshot()).toEqual({ 'Asia/Tokyo': 'asking' });
    expect(offsets.offsetAt('Asia/Tokyo', Date.now())).toBe(9 * HOUR);
    await vi.advanceTimersByTimeAsync(0);
    expect(offsets.getSnapshot()).toEqual({ 'Asia/Tokyo': 'services' });
    expect(offsets.offsetAt('Asia/Tokyo', Date.now())).toBe(10 * HOUR);
  });

  it('asks again on the hour', async () => {
    answers.set('UTC', 0);
    offsets.setZones(['UTC']);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(asked).toEqual(['UTC']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(asked).toEqual(['UTC', 'UTC']);
  });

  it('falls back to the browser’s rules, marked, when the gateway fails, and retries', async () => {
    answers.set('Asia/Tokyo', 9 * HOUR);
    offsets.setZones(['Asia/Tokyo']);
    await vi.advanceTimersByTimeAsync(0);
    answers.set('Asia/Tokyo', new Error('503'));
    await vi.advanceTimersByTimeAsync(60_000); // the hour's ask fails
    expect(offsets.getSnapshot()).toEqual({ 'Asia/Tokyo': 'browser' });
    answers.set('Asia/Tokyo', 9 * HOUR);
    await vi.advanceTimersByTimeAsync(RETRY_MS);
    expect(offsets.getSnapshot()).toEqual({ 'Asia/Tokyo': 'services' });
  });

  it('forgets removed zones and stops asking about them', async () => {
    answers.set('UTC', 0);
    offsets.setZones(['UTC']);
    await vi.advanceTimersByTimeAsync(0);
    offsets.setZones([]);
    await vi.advanceTimersByTimeAsync(2 * HOUR);
    expect(asked).toEqual(['UTC']);
    expect(offsets.getSnapshot()).toEqual({});
  });
});
