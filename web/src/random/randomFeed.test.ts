// Data events checked on arrival, the counts, the latest value, the chart's window and the bounded log.
import { describe, expect, it } from 'vitest';
import {
  CHART_POINTS,
  LOG_LIMIT,
  appendBounded,
  describePoint,
  formatValue,
  initialFeed,
  parseDataPoint,
  prependBounded,
  reduceFeed,
  type FeedState,
} from './randomFeed';

const T = 1_795_000_000_000;
const point = (sequence: number, value: number) => JSON.stringify({ timestamp: T + sequence * 100, value, sequence });

/** The state after `data` texts, one per 100 ms. */
function fed(texts: readonly string[], from: FeedState = initialFeed): FeedState {
  return texts.reduce((state, data, i) => reduceFeed(state, { type: 'data', data, atMs: T + i * 100 }), from);
}

describe('parseDataPoint', () => {
  it('reads the stream service’s data', () => {
    expect(parseDataPoint('{"timestamp":1795000000100,"value":57,"sequence":12}')).toEqual({
      timestamp: 1_795_000_000_100,
      value: 57,
      sequence: 12,
    });
    expect(parseDataPoint(JSON.stringify({ timestamp: T, value: 12.5, sequence: 1, extra: 'ok' }))).toMatchObject({
      value: 12.5,
    });
  });

  it('refuses anything that is not a whole data point', () => {
    expect(parseDataPoint('')).toBeNull();
    expect(parseDataPoint('{"timestamp":1,"value":2')).toBeNull();
    expect(parseDataPoint('57')).toBeNull();
    expect(parseDataPoint('null')).toBeNull();
    expect(parseDataPoint('[1,2,3]')).toBeNull();
    expect(parseDataPoint(JSON.stringify({ timestamp: T, value: 57 }))).toBeNull();
    expect(parseDataPoint(JSON.stringify({ timestamp: T, value: '57', sequence: 1 }))).toBeNull();
    expect(parseDataPoint(JSON.stringify({ timestamp: T, value: null, sequence: 1 }))).toBeNull();
    expect(parseDataPoint(JSON.stringify({ timestamp: 'now', value: 1, sequence: 1 }))).toBeNull();
  });
});

describe('bounded lists', () => {
  it('prepend keeps the newest first and at most the limit', () => {
    expect(prependBounded([2, 1], 3, 5)).toEqual([3, 2, 1]);
    expect(prependBounded([3, 2, 1], 4, 3)).toEqual([4, 3, 2]);
    expect(prependBounded([], 1, 1)).toEqual([1]);
  });

  it('append keeps the oldest first and at most the limit', () => {
    expect(appendBounded([1, 2], 3, 5)).toEqual([1, 2, 3]);
    expect(appendBounded([1, 2, 3], 4, 3)).toEqual([2, 3, 4]);
    expect(appendBounded([1, 2, 3, 4, 5], 6, 3)).toEqual([4, 5, 6]);
    expect(appendBounded([1], 2, 0)).toEqual([]);
  });
});

describe('reduceFeed', () => {
  it('counts complete events, keeps the latest value and logs each one', () => {
    const state = fed([point(1, 57), point(2, 3)]);
    expect(state).toMatchObject({ total: 2, complete: 2, incomplete: 0, latest: { value: 3, sequence: 2 } });
    expect(state.points.map((p) => p.value)).toEqual([57, 3]);
    expect(state.log.map((entry) => [entry.kind, entry.text, entry.atMs])).toEqual([
      ['data', '#2 · 3', T + 100],
      ['data', '#1 · 57', T],
    ]);
  });

  it('counts anything else as incomplete, leaving the latest value and the chart alone', () => {
    const state = fed([point(1, 57), 'not json', '{"value":9}', '']);
    expect(state).toMatchObject({ total: 4, complete: 1, incomplete: 3, latest: { value: 57 } });
    expect(state.points).toHaveLength(1);
    expect(state.log.map((entry) => entry.kind)).toEqual(['incomplete', 'incomplete', 'incomplete', 'data']);
    expect(state.log[0]?.text).toBe('Incomplete: (empty)');
    expect(state.log[1]?.text).toBe('Incomplete: {"value":9}');
  });

  it('cuts a long incomplete text short in the log', () => {
    const text = fed(['x'.repeat(1000)]).log[0]?.text ?? '';
    expect(text.length).toBeLessThan(200);
    expect(text.endsWith('…')).toBe(true);
  });

  it('keeps the last CHART_POINTS points and the newest LOG_LIMIT log entries', () => {
    const count = LOG_LIMIT + 50;
    const state = fed(Array.from({ length: count }, (_, i) => point(i + 1, i % 101)));
    expect(state.total).toBe(count);
    expect(state.points).toHaveLength(CHART_POINTS);
    expect(state.points[0]?.sequence).toBe(count - CHART_POINTS + 1);
    expect(state.points.at(-1)?.sequence).toBe(count);
    expect(state.log).toHaveLength(LOG_LIMIT);
    expect(state.log[0]?.text).toBe(`#${count} · ${(count - 1) % 101}`);
    expect(new Set(state.log.map((entry) => entry.id)).size).toBe(LOG_LIMIT);
  });

  it('logs notices without counting them', () => {
    const state = reduceFeed(initialFeed, { type: 'notice', kind: 'error', text: 'Connection lost', atMs: T });
    expect(state).toMatchObject({ total: 0, complete: 0, incomplete: 0 });
    expect(state.log).toEqual([{ id: 1, atMs: T, kind: 'error', text: 'Connection lost' }]);
  });

  it('clears everything but keeps ids unique', () => {
    const before = fed([point(1, 5), 'junk']);
    const cleared = reduceFeed(before, { type: 'clear' });
    expect(cleared).toMatchObject({ total: 0, complete: 0, incomplete: 0, latest: null, points: [], log: [] });
    const after = fed([point(2, 6)], cleared);
    expect(after.log[0]?.id).toBeGreaterThan(Math.max(...before.log.map((entry) => entry.id)));
  });
});

describe('formatting', () => {
  it('shows integers as they are and other values to two decimals', () => {
    expect(formatValue(57)).toBe('57');
    expect(formatValue(-3)).toBe('-3');
    expect(formatValue(12.345)).toBe('12.35');
    expect(describePoint({ timestamp: T, value: 42, sequence: 7 })).toBe('#7 · 42');
  });
});
