// The services' offset from a frame's fields and instant, and drawing with it.
import { describe, expect, it } from 'vitest';
import { ServiceTime, disagreementNotice, fieldsAtOffset, frameOffsetMs, type FrameTime } from './serviceTime';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A frame whose fields read `wall` (H, M, S, ms) at the instant `unixMs`. */
function frame(unixMs: number, [hours, minutes, seconds, milliseconds]: readonly number[]): FrameTime {
  return { unixMs, hours: hours!, minutes: minutes!, seconds: seconds!, milliseconds: milliseconds! };
}

/** 2026-11-23T23:15:00.123Z */
const LATE = Date.parse('2026-11-23T23:15:00.123Z');
/** 2026-11-23T00:30:00.456Z */
const EARLY = Date.parse('2026-11-23T00:30:00.456Z');

describe('frameOffsetMs', () => {
  it('reads UTC as zero and a plain offset as it is', () => {
    expect(frameOffsetMs(frame(LATE, [23, 15, 0, 123]))).toBe(0);
    expect(frameOffsetMs(frame(EARLY, [1, 30, 0, 456]))).toBe(HOUR);
  });

  it('wraps across midnight forwards: 23:15 UTC is 08:15 the next day in Tokyo', () => {
    expect(frameOffsetMs(frame(LATE, [8, 15, 0, 123]))).toBe(9 * HOUR);
  });

  it('wraps across midnight backwards: 00:30 UTC is 19:30 the day before in New York', () => {
    expect(frameOffsetMs(frame(EARLY, [19, 30, 0, 456]))).toBe(-5 * HOUR);
  });

  it('reads half-hour and 45-minute zones', () => {
    expect(frameOffsetMs(frame(LATE, [4, 45, 0, 123]))).toBe(5 * HOUR + 30 * MINUTE); // India, next day
    expect(frameOffsetMs(frame(LATE, [5, 0, 0, 123]))).toBe(5 * HOUR + 45 * MINUTE); // Nepal, next day
    expect(frameOffsetMs(frame(EARLY, [21, 0, 0, 456]))).toBe(-3 * HOUR - 30 * MINUTE); // Newfoundland
    expect(frameOffsetMs(frame(LATE, [13, 0, 0, 123]), 13 * HOUR + 45 * MINUTE)).toBe(13 * HOUR + 45 * MINUTE); // Chatham
  });

  it('reaches the widest offsets, +14 h and −10 h, from the same time of day', () => {
    const kiritimatiOrHonolulu = frame(EARLY, [14, 30, 0, 456]);
    expect(frameOffsetMs(kiritimatiOrHonolulu, 14 * HOUR)).toBe(14 * HOUR);
    expect(frameOffsetMs(kiritimatiOrHonolulu, -10 * HOUR)).toBe(-10 * HOUR);
  });

  it('tells −11 h from +13 h (the same time of day) by the browser’s offset', () => {
    const samoaOrTonga = frame(LATE, [12, 15, 0, 123]);
    expect(frameOffsetMs(samoaOrTonga, 13 * HOUR)).toBe(13 * HOUR); // Pacific/Tongatapu, next day
    expect(frameOffsetMs(samoaOrTonga, -11 * HOUR)).toBe(-11 * HOUR); // Pacific/Pago_Pago
    // A browser an hour off still picks the right day.
    expect(frameOffsetMs(samoaOrTonga, 14 * HOUR)).toBe(13 * HOUR);
  });

  it('gives no offset for a frame with a missing field or instant', () => {
    expect(frameOffsetMs({ ...frame(LATE, [23, 15, 0, 123]), hours: null })).toBeNull();
    expect(frameOffsetMs({ ...frame(LATE, [23, 15, 0, 123]), milliseconds: null })).toBeNull();
    expect(frameOffsetMs({ ...frame(LATE, [23, 15, 0, 123]), unixMs: null })).toBeNull();
  });
});

describe('fieldsAtOffset', () => {
  it('draws the shifted instant, across midnight both ways', () => {
    expect(fieldsAtOffset(LATE + 5, 9 * HOUR)).toEqual({ hours: 8, minutes: 15, seconds: 0, milliseconds: 128 });
    expect(fieldsAtOffset(EARLY, -5 * HOUR)).toEqual({ hours: 19, minutes: 30, seconds: 0, milliseconds: 456 });
  });
});

describe('ServiceTime', () => {
  it('keeps the latest complete frame’s offset for its zone only', () => {
    const time = new ServiceTime();
    expect(time.offsetFor('Asia/Tokyo')).toBeNull();
    expect(time.note('Asia/Tokyo', frame(LATE, [8, 15, 0, 123]))).toBe(true);
    expect(time.note('Pacific/Tongatapu', frame(LATE, [12, 15, 0, 123]))).toBe(true);
    expect(time.offsetFor('Pacific/Tongatapu')).toBe(13 * HOUR);
    expect(time.note('Asia/Tokyo', frame(LATE, [8, 15, 0, 123]))).toBe(true);
    expect(time.note('Asia/Tokyo', frame(LATE + 50, [8, 15, 0, 173]))).toBe(false);
    expect(time.note('Asia/Tokyo', { ...frame(LATE, [0, 0, 0, 0]), hours: null })).toBe(false);
    expect(time.offsetFor('Asia/Tokyo')).toBe(9 * HOUR);
    expect(time.offsetFor('Europe/Paris')).toBeNull();
  });
});

describe('disagreementNotice', () => {
  it('says nothing while the services and the browser agree (to the minute)', () => {
    expect(disagreementNotice('Europe/Paris', HOUR, HOUR)).toBeNull();
    expect(disagreementNotice('Europe/Paris', HOUR, null)).toBeNull();
  });

  it('names both offsets when they differ', () => {
    expect(disagreementNotice('Asia/Kathmandu', 5 * HOUR + 45 * MINUTE, 5 * HOUR + 30 * MINUTE)).toBe(
      'The services say UTC+05:45 for Asia/Kathmandu; this browser’s rules say UTC+05:30. Showing the services’ time.',
    );
  });
});
