// Hand angles of the analog face, with and without sweep and degraded fields.
import { describe, expect, it } from 'vitest';
import type { FieldName } from '../shared/format';
import { handAngles } from './hands';

const none = new Set<FieldName>();
const fields = { hours: 15, minutes: 30, seconds: 45, milliseconds: 500 };

describe('handAngles', () => {
  it('places every hand, the second hand sweeping', () => {
    const angles = handAngles(fields, none, true);
    expect(angles.second).toBeCloseTo(45.5 * 6, 9);
    expect(angles.minute).toBeCloseTo((30 + 45.5 / 60) * 6, 9);
    expect(angles.hour).toBeCloseTo((3 + (30 + 45.5 / 60) / 60) * 30, 9);
  });

  it('steps the second hand without sweep', () => {
    expect(handAngles(fields, none, false).second).toBe(270);
  });

  it('puts midnight at twelve', () => {
    expect(handAngles({ hours: 0, minutes: 0, seconds: 0, milliseconds: 0 }, none, true)).toEqual({
      hour: 0,
      minute: 0,
      second: 0,
    });
  });

  it('drops the hand of a service that is down, and stops leaning on it', () => {
    const angles = handAngles(fields, new Set<FieldName>(['minutes']), true);
    expect(angles.minute).toBeNull();
    expect(angles.hour).toBe(90); // 15:00 exactly: the minutes are unknown
    expect(angles.second).toBeCloseTo(273, 9);
    expect(handAngles(fields, new Set<FieldName>(['milliseconds']), true).second).toBe(270);
  });
});
