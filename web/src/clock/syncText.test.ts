// How accuracy and the device clock offset are put into words.
import { describe, expect, it } from 'vitest';
import { describeDeviceOffset, formatAccuracy, formatDuration } from './syncText';

describe('formatAccuracy', () => {
  it('rounds up, never claiming more than was measured', () => {
    expect(formatAccuracy(0.4)).toBe('± 0.4 ms');
    expect(formatAccuracy(0.41)).toBe('± 0.5 ms');
    expect(formatAccuracy(0.1)).toBe('± 0.1 ms');
    expect(formatAccuracy(9.96)).toBe('± 10.0 ms');
    expect(formatAccuracy(36.2)).toBe('± 37 ms');
    expect(formatAccuracy(1234)).toBe('± 1.3 s');
  });
});

describe('formatDuration', () => {
  it('picks a unit for the size', () => {
    expect(formatDuration(3.44)).toBe('3.4 ms');
    expect(formatDuration(-12.4)).toBe('12 ms');
    expect(formatDuration(999.4)).toBe('999 ms');
    expect(formatDuration(999.6)).toBe('1.0 s');
    expect(formatDuration(3210)).toBe('3.2 s');
    expect(formatDuration(252_000)).toBe('4 min 12 s');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
  });
});

describe('describeDeviceOffset', () => {
  it('says ahead or behind', () => {
    expect(describeDeviceOffset(12.3, 0.4)).toBe('Your device clock is 12 ms ahead');
    expect(describeDeviceOffset(-3210, 0.4)).toBe('Your device clock is 3.2 s behind');
  });

  it('says exact within the accuracy and the wall clock resolution', () => {
    expect(describeDeviceOffset(1.3, 0.4)).toBe('Your device clock is exact');
    expect(describeDeviceOffset(-1.3, 0.4)).toBe('Your device clock is exact');
    expect(describeDeviceOffset(1.5, 0.4)).toBe('Your device clock is 1.5 ms ahead');
  });
});
