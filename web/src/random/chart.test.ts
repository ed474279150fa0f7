// The chart's auto-scaling axis, round steps, tick labels and where the points go.
import { describe, expect, it } from 'vitest';
import { formatTick, niceStep, plotPoints, yAxis, yOf } from './chart';

describe('niceStep', () => {
  it('rounds up to 1, 2, 2.5 or 5 × 10ⁿ', () => {
    expect(niceStep(25)).toBe(25);
    expect(niceStep(24)).toBe(25);
    expect(niceStep(26)).toBe(50);
    expect(niceStep(0.3)).toBe(0.5);
    expect(niceStep(1)).toBe(1);
    expect(niceStep(1.01)).toBe(2);
    expect(niceStep(7_000)).toBe(10_000);
    expect(niceStep(0.0012)).toBe(0.002);
  });

  it('is 1 for nothing sensible', () => {
    expect(niceStep(0)).toBe(1);
    expect(niceStep(-5)).toBe(1);
    expect(niceStep(Number.NaN)).toBe(1);
    expect(niceStep(Number.POSITIVE_INFINITY)).toBe(1);
  });
});

describe('yAxis', () => {
  it('covers 0..100 in steps of 25', () => {
    expect(yAxis([0, 57, 100, 12])).toEqual({ min: 0, max: 100, step: 25, ticks: [0, 25, 50, 75, 100] });
  });

  it('follows the values shown, not a fixed range', () => {
    const axis = yAxis([41, 43, 47, 44]);
    expect(axis).toMatchObject({ min: 40, max: 48, step: 2 });
    expect(axis?.ticks).toEqual([40, 42, 44, 46, 48]);
    expect(yAxis([-2_000_000_000, 2_000_000_000])).toMatchObject({ min: -2_000_000_000, max: 2_000_000_000 });
  });

  it('always contains every value', () => {
    for (const values of [[3.3, 3.7], [-7, -1.5], [0.001, 0.0042], [99, 1, 50]]) {
      const axis = yAxis(values);
      expect(axis).not.toBeNull();
      for (const value of values) {
        expect(value).toBeGreaterThanOrEqual(axis!.min);
        expect(value).toBeLessThanOrEqual(axis!.max);
      }
    }
  });

  it('gives a flat line room above and below', () => {
    expect(yAxis([50, 50, 50])).toMatchObject({ min: 45, max: 55 });
    expect(yAxis([0])).toMatchObject({ min: -1, max: 1 });
  });

  it('is null with nothing to show', () => {
    expect(yAxis([])).toBeNull();
    expect(yAxis([Number.NaN])).toBeNull();
  });

  it('leaves no binary noise in the ticks', () => {
    expect(yAxis([0.1, 0.7])?.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
  });
});

describe('plotPoints', () => {
  const axis = { min: 0, max: 100, step: 25, ticks: [0, 25, 50, 75, 100] };
  const box = { left: 10, top: 5, width: 99, height: 200 };

  it('puts the newest point at the right edge, one slot apart', () => {
    const points = plotPoints([0, 50, 100], 100, axis, box);
    expect(points.map((p) => p.x)).toEqual([107, 108, 109]);
    expect(points.map((p) => p.y)).toEqual([205, 105, 5]);
  });

  it('fills the width once every slot is taken', () => {
    const points = plotPoints(Array.from({ length: 100 }, () => 25), 100, axis, box);
    expect(points[0]?.x).toBe(10);
    expect(points.at(-1)?.x).toBe(109);
    expect(new Set(points.map((p) => p.y))).toEqual(new Set([155]));
  });

  it('copes with one point and more points than slots', () => {
    expect(plotPoints([50], 1, axis, box)).toEqual([{ x: 109, y: 105 }]);
    expect(plotPoints([1, 2, 3], 2, axis, box).map((p) => p.x)).toEqual([10, 59.5, 109]);
  });

  it('yOf puts max at the top and min at the bottom', () => {
    expect(yOf(100, axis, box)).toBe(5);
    expect(yOf(0, axis, box)).toBe(205);
  });
});

describe('formatTick', () => {
  it('writes as many decimals as the step has', () => {
    expect(formatTick(50, 25)).toBe('50');
    expect(formatTick(7.5, 2.5)).toBe('7.5');
    expect(formatTick(5, 2.5)).toBe('5.0');
    expect(formatTick(0.25, 0.25)).toBe('0.25');
    expect(formatTick(0.5, 0.5)).toBe('0.5');
    expect(formatTick(-0, 1)).toBe('0');
    expect(formatTick(2_000_000_000, 1_000_000_000)).toBe('2000000000');
  });
});
