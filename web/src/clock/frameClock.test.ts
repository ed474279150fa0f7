// The display-time estimate: frame intervals from animation-frame timestamps.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FRAME_MS, FrameClock } from './frameClock';

describe('FrameClock', () => {
  it('assumes 60 Hz until it has seen two frames', () => {
    const frames = new FrameClock();
    expect(frames.intervalMs()).toBeCloseTo(DEFAULT_FRAME_MS, 9);
    frames.note(1_000);
    expect(frames.shownAt(1_000)).toBeCloseTo(1_000 + DEFAULT_FRAME_MS, 9);
  });

  it('learns a 120 Hz display, ignoring a dropped frame', () => {
    const frames = new FrameClock();
    const starts = [0, 8.33, 16.67, 25, 41.67, 50, 58.33]; // one frame dropped at 33.3
    starts.forEach((start) => frames.note(start));
    expect(frames.intervalMs()).toBeCloseTo(8.33, 1);
    expect(frames.shownAt(100)).toBeCloseTo(108.33, 1);
  });

  it('ignores the gap of a hidden tab and clocks that do not advance', () => {
    const frames = new FrameClock();
    [0, 16.7, 33.4, 5_000, 5_016.7, 5_016.7, 5_033.4].forEach((start) => frames.note(start));
    expect(frames.intervalMs()).toBeCloseTo(16.7, 1);
  });
});
