import { describe, expect, it } from 'vitest';
import { isCount, isFiniteNumber, isNullish, isRecord, nonEmptyString, numberOrNull, parseJson, recordOrEmpty } from './json';

describe('JSON guards', () => {
  it('isRecord accepts plain objects only', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord({ a: 1 })).toBe(true);
    expect(isRecord(null)).toBe(false);
    expect(isRecord([])).toBe(false);
    expect(isRecord('x')).toBe(false);
    expect(isRecord(1)).toBe(false);
  });

  it('recordOrEmpty reads non-objects as no fields', () => {
    expect(recordOrEmpty({ a: 1 })).toEqual({ a: 1 });
    expect(recordOrEmpty([1])).toEqual({});
    expect(recordOrEmpty(null)).toEqual({});
  });

  it('numbers must be finite; counts not negative', () => {
    expect(isFiniteNumber(1.5)).toBe(true);
    expect(isFiniteNumber(Number.NaN)).toBe(false);
    expect(isFiniteNumber(Number.POSITIVE_INFINITY)).toBe(false);
    expect(isFiniteNumber('1')).toBe(false);
    expect(isCount(0)).toBe(true);
    expect(isCount(-1)).toBe(false);
    expect(numberOrNull(3)).toBe(3);
    expect(numberOrNull('3')).toBeNull();
    expect(numberOrNull(Number.NaN)).toBeNull();
  });

  it('nonEmptyString refuses blank text and non-strings', () => {
    expect(nonEmptyString('a')).toBe('a');
    expect(nonEmptyString('  ')).toBeNull();
    expect(nonEmptyString(1)).toBeNull();
  });

  it('isNullish is null or undefined only', () => {
    expect(isNullish(null)).toBe(true);
    expect(isNullish(undefined)).toBe(true);
    expect(isNullish(0)).toBe(false);
    expect(isNullish('')).toBe(false);
  });

  it('parseJson gives undefined for text that is not JSON', () => {
    expect(parseJson('{"a":1}')).toEqual({ a: 1 });
    expect(parseJson('null')).toBeNull();
    expect(parseJson('{')).toBeUndefined();
  });
});
