// Reading server messages and writing client ones, as the funnel sends and expects them.
import { describe, expect, it } from 'vitest';
import { hiddenFields, parseServerMessage, pingMessage, zoneMessage } from './protocol';

describe('parseServerMessage', () => {
  it('reads a full frame', () => {
    const text =
      '{"time":"09:41:07.042","hours":9,"minutes":41,"seconds":7,"milliseconds":42,' +
      '"unix_ms":1795426867042,"tz":"Europe/Paris","seq":1234}';
    expect(parseServerMessage(text)).toEqual({
      kind: 'frame',
      frame: {
        tz: 'Europe/Paris',
        seq: 1234,
        unixMs: 1795426867042,
        hours: 9,
        minutes: 41,
        seconds: 7,
        milliseconds: 42,
        degraded: [],
      },
    });
  });

  it('reads the degraded services of a frame', () => {
    const text =
      '{"time":"09:--:07.042","hours":9,"minutes":null,"seconds":7,"milliseconds":42,' +
      '"unix_ms":1795426867042,"tz":"UTC","seq":5,"degraded":["minutes"]}';
    const message = parseServerMessage(text);
    expect(message.kind === 'frame' && message.frame.degraded).toEqual(['minutes']);
    expect(message.kind === 'frame' && message.frame.minutes).toBeNull();
  });

  it('reads a pong, with or without the server times', () => {
    expect(parseServerMessage('{"pong":12.5,"received":1795426867042.123,"sent":1795426867042.987}')).toEqual({
      kind: 'pong',
      pong: { t0: 12.5, t1: 1795426867042.123, t2: 1795426867042.987 },
    });
    expect(parseServerMessage('{"pong":7.0,"received":null,"sent":null}')).toEqual({
      kind: 'pong',
      pong: { t0: 7, t1: null, t2: null },
    });
  });

  it('reads an error', () => {
    expect(parseServerMessage('{"error":"unknown time zone \'X\' (...)"}')).toEqual({
      kind: 'error',
      message: "unknown time zone 'X' (...)",
    });
  });

  it('rejects what it cannot read', () => {
    expect(parseServerMessage('not json').kind).toBe('invalid');
    expect(parseServerMessage('[1,2]').kind).toBe('invalid');
    expect(parseServerMessage('{"pong":"soon"}').kind).toBe('invalid');
    expect(parseServerMessage('{"seq":3}').kind).toBe('invalid');
  });
});

describe('client messages', () => {
  it('keeps the sub-millisecond part of a ping', () => {
    expect(pingMessage(1795426867042.125)).toBe('{"ping":1795426867042.125}');
  });

  it('names the zone to switch to', () => {
    expect(zoneMessage('Asia/Tokyo')).toBe('{"tz":"Asia/Tokyo"}');
  });
});

describe('hiddenFields', () => {
  it('hides the fields of the services that are down', () => {
    expect([...hiddenFields(['minutes', 'milliseconds'])]).toEqual(['minutes', 'milliseconds']);
    expect(hiddenFields([]).size).toBe(0);
  });

  it('hides everything when current-time is down', () => {
    expect(hiddenFields(['current-time']).size).toBe(4);
  });
});
