/**
 * What the page says about clock sync: the accuracy of the estimate and how
 * far the device's own clock is from the server's.
 */

/** Rounds up to `step`, so a bound is never shown tighter than it is. */
function ceilTo(value: number, step: number): number {
  return Math.ceil(value / step - 1e-9) * step;
}

/** "± 0.4 ms", "± 37 ms", "± 1.3 s". */
export function formatAccuracy(accuracyMs: number): string {
  if (accuracyMs < 10) return `± ${ceilTo(accuracyMs, 0.1).toFixed(1)} ms`;
  if (accuracyMs < 1000) return `± ${ceilTo(accuracyMs, 1).toFixed(0)} ms`;
  return `± ${ceilTo(accuracyMs / 1000, 0.1).toFixed(1)} s`;
}

/** "0.8 ms", "12 ms", "3.2 s", "4 min 12 s", "2 h 5 min". */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 10) return `${abs.toFixed(1)} ms`;
  if (abs < 999.5) return `${Math.round(abs)} ms`;
  if (abs < 59_950) return `${(abs / 1000).toFixed(1)} s`;
  const seconds = Math.round(abs / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Date.now() counts whole milliseconds, so no offset is known closer than this. */
export const WALL_CLOCK_RESOLUTION_MS = 1;

/**
 * "Your device clock is 3.2 s behind", "…is 12 ms ahead", or "…is exact"
 * when the difference is within what can be measured.
 */
export function describeDeviceOffset(deviceOffsetMs: number, accuracyMs: number): string {
  if (Math.abs(deviceOffsetMs) <= accuracyMs + WALL_CLOCK_RESOLUTION_MS) {
    return 'Your device clock is exact';
  }
  const direction = deviceOffsetMs > 0 ? 'ahead' : 'behind';
  return `Your device clock is ${formatDuration(deviceOffsetMs)} ${direction}`;
}
