/**
 * The live chart's geometry, apart from the canvas: a y axis that scales to
 * the values shown (round steps of 1, 2, 2.5 or 5 × 10ⁿ), and where each
 * point goes, the newest at the right edge and the rest scrolling left.
 */

export interface Axis {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  /** From min to max, one per step. */
  readonly ticks: readonly number[];
}

export interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

const NICE = [1, 2, 2.5, 5, 10];

/** The smallest round step (1, 2, 2.5 or 5 × 10ⁿ) at least `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / magnitude;
  const nice = NICE.find((candidate) => candidate >= fraction - 1e-9) ?? 10;
  return clean(nice * magnitude);
}

/**
 * An axis covering every value with about `ticks` round steps; null when
 * there is nothing to show. A flat line gets room above and below.
 */
export function yAxis(values: readonly number[], ticks = 4): Axis | null {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return null;
  let low = Math.min(...finite);
  let high = Math.max(...finite);
  if (low === high) {
    const room = Math.max(1, Math.abs(low) * 0.1);
    low -= room;
    high += room;
  }
  const step = niceStep((high - low) / Math.max(1, ticks));
  const min = clean(Math.floor(low / step) * step);
  const max = clean(Math.ceil(high / step) * step);
  const count = Math.round((max - min) / step);
  const list = Array.from({ length: count + 1 }, (_, i) => clean(min + i * step));
  return { min, max, step, ticks: list };
}

/** Where `value` goes on the axis, from the box's top (max) to its bottom (min). */
export function yOf(value: number, axis: Axis, box: Box): number {
  const span = axis.max - axis.min;
  const share = span > 0 ? (value - axis.min) / span : 0.5;
  return box.top + box.height * (1 - share);
}

/**
 * The points of `values` (oldest first) in `box`: `capacity` slots across,
 * the newest value in the last slot at the right edge.
 */
export function plotPoints(values: readonly number[], capacity: number, axis: Axis, box: Box): Point[] {
  const slots = Math.max(2, capacity, values.length);
  const first = slots - values.length;
  return values.map((value, i) => ({
    x: box.left + (box.width * (first + i)) / (slots - 1),
    y: yOf(value, axis, box),
  }));
}

/** A tick's label with as many decimals as the step has (`25`, `2.5`, `0.25`). */
export function formatTick(value: number, step: number): string {
  const text = value.toFixed(decimalsOf(step));
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** The decimals a round step is written with (at most 6). */
function decimalsOf(step: number): number {
  const match = /\.(\d+)$/.exec(String(clean(step)));
  if (match?.[1] !== undefined) return Math.min(6, match[1].length);
  return step < 1 ? 6 : 0; // 1e-7 and smaller
}

/** Rounds away binary noise (0.30000000000000004 → 0.3). */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}
