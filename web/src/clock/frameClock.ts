/**
 * When the frame being drawn reaches the screen. A browser shows what an
 * animation-frame callback draws at the next display refresh, about one frame
 * interval after the frame began, so the clock draws the time for that moment
 * rather than for the moment it runs: the second then flips on screen at the
 * boundary instead of a frame or two after it. Pure: timestamps are handed in.
 */

/** The interval of a 60 Hz display, ms: assumed until frames have been seen. */
export const DEFAULT_FRAME_MS = 1000 / 60;
/** Gaps longer than this are a hidden tab or a stall, not the display's rate. */
const MAX_FRAME_MS = 50;
/** How many recent intervals the estimate is the median of. */
const WINDOW = 15;

export class FrameClock {
  private previous: number | null = null;
  private readonly intervals: number[] = [];

  /** Notes the start time of a frame (the animation-frame callback's argument, ms). */
  note(frameStart: number): void {
    if (this.previous !== null) {
      const interval = frameStart - this.previous;
      if (interval > 0 && interval <= MAX_FRAME_MS) {
        this.intervals.push(interval);
        if (this.intervals.length > WINDOW) this.intervals.shift();
      }
    }
    this.previous = frameStart;
  }

  /** The display's frame interval: the median of recent ones, ms. */
  intervalMs(): number {
    if (this.intervals.length === 0) return DEFAULT_FRAME_MS;
    const sorted = [...this.intervals].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? DEFAULT_FRAME_MS;
  }

  /** When a frame that started at `frameStart` is shown: one interval later. */
  shownAt(frameStart: number): number {
    return frameStart + this.intervalMs();
  }
}
