/**
 * What the Random page makes of the stream service's `/stream`: each
 * `event: data` is checked on arrival (`{"timestamp","value","sequence"}`,
 * all numbers, is complete; anything else is counted as incomplete), and a
 * pure reducer keeps the statistics, the latest value, the last points for
 * the chart and a bounded event log, newest first.
 */
import { isFiniteNumber, isRecord, parseJson } from '../shared/json';

export interface DataPoint {
  /** When the random service made it, unix ms. */
  readonly timestamp: number;
  readonly value: number;
  readonly sequence: number;
}

export type LogKind = 'data' | 'incomplete' | 'info' | 'error';

export interface LogEntry {
  /** Unique within a feed, for React keys. */
  readonly id: number;
  /** When it was received, unix ms. */
  readonly atMs: number;
  readonly kind: LogKind;
  readonly text: string;
}

export interface FeedState {
  /** Every `event: data` received. */
  readonly total: number;
  /** Those that were a whole data point. */
  readonly complete: number;
  /** Those that were not (not JSON, or missing a field). */
  readonly incomplete: number;
  readonly latest: DataPoint | null;
  /** The chart's points, oldest first, at most CHART_POINTS. */
  readonly points: readonly DataPoint[];
  /** The log, newest first, at most LOG_LIMIT. */
  readonly log: readonly LogEntry[];
  readonly nextId: number;
}

export type FeedAction =
  /** The `data:` text of one `event: data`, received at `atMs`. */
  | { readonly type: 'data'; readonly data: string; readonly atMs: number }
  /** Something about the connection, for the log. */
  | { readonly type: 'notice'; readonly kind: 'info' | 'error'; readonly text: string; readonly atMs: number }
  /** Start the counts, chart and log afresh. */
  | { readonly type: 'clear' };

/** How many points the chart shows. */
export const CHART_POINTS = 100;
/** How many entries the log keeps. */
export const LOG_LIMIT = 200;
/** Longer `data:` texts are cut short in the log. */
const LOG_TEXT_LIMIT = 160;

export const initialFeed: FeedState = Object.freeze({
  total: 0,
  complete: 0,
  incomplete: 0,
  latest: null,
  points: [],
  log: [],
  nextId: 1,
});

/** A data point from an event's `data:` text, or null when it is not a whole one. */
export function parseDataPoint(text: string): DataPoint | null {
  const value = parseJson(text);
  if (!isRecord(value)) return null;
  const { timestamp, value: number, sequence } = value;
  if (!isFiniteNumber(timestamp) || !isFiniteNumber(number) || !isFiniteNumber(sequence)) return null;
  return { timestamp, value: number, sequence };
}

/** `list` with `item` in front, at most `limit` long (the oldest fall off the end). */
export function prependBounded<T>(list: readonly T[], item: T, limit: number): T[] {
  return [item, ...list.slice(0, Math.max(0, limit - 1))];
}

/** `list` with `item` at the end, at most `limit` long (the oldest fall off the front). */
export function appendBounded<T>(list: readonly T[], item: T, limit: number): T[] {
  const kept = list.length >= limit ? list.slice(list.length - limit + 1) : list;
  return limit > 0 ? [...kept, item] : [];
}

export function reduceFeed(state: FeedState, action: FeedAction): FeedState {
  switch (action.type) {
    case 'data': {
      const point = parseDataPoint(action.data);
      const entry: LogEntry =
        point === null
          ? { id: state.nextId, atMs: action.atMs, kind: 'incomplete', text: `Incomplete: ${shorten(action.data)}` }
          : { id: state.nextId, atMs: action.atMs, kind: 'data', text: describePoint(point) };
      const log = prependBounded(state.log, entry, LOG_LIMIT);
      if (point === null) {
        return { ...state, total: state.total + 1, incomplete: state.incomplete + 1, log, nextId: state.nextId + 1 };
      }
      return {
        ...state,
        total: state.total + 1,
        complete: state.complete + 1,
        latest: point,
        points: appendBounded(state.points, point, CHART_POINTS),
        log,
        nextId: state.nextId + 1,
      };
    }
    case 'notice': {
      const entry: LogEntry = { id: state.nextId, atMs: action.atMs, kind: action.kind, text: action.text };
      return { ...state, log: prependBounded(state.log, entry, LOG_LIMIT), nextId: state.nextId + 1 };
    }
    case 'clear':
      // Ids keep counting, so React never mistakes a new entry for an old one.
      return { ...initialFeed, nextId: state.nextId };
  }
}

/** `#12 · 57` */
export function describePoint(point: DataPoint): string {
  return `#${point.sequence} · ${formatValue(point.value)}`;
}

/** A value as shown: integers as they are, others to two decimals. */
export function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function shorten(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '(empty)';
  return oneLine.length > LOG_TEXT_LIMIT ? `${oneLine.slice(0, LOG_TEXT_LIMIT - 1)}…` : oneLine;
}
