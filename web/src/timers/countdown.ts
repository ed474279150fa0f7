/**
 * What the Timers page says about time left and time past: the countdown
 * (rounded up, so it reads 0:00.0 exactly when the timer is due), durations,
 * how late a timer fired, and a timer's name.
 */

import type { Timer } from './timerApi';
import { formatDuration } from '../clock/syncText';

const SECOND_MS = 1000;
const DAY_S = 86_400;

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * `0:42.3`, `12:05.0`, `1:02:03.4`; past a day `2 d 03:04:05` (tenths of
 * a second would only flicker there). Time left is rounded up to the tenth.
 */
export function formatCountdown(remainingMs: number): string {
  const ms = Math.max(0, remainingMs);
  const wholeSeconds = secondsLeft(ms);
  if (wholeSeconds >= DAY_S) return formatDays(wholeSeconds);
  const tenths = Math.ceil(ms / 100 - 1e-9);
  const totalSeconds = Math.floor(tenths / 10);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const fraction = `${pad(totalSeconds % 60)}.${tenths % 10}`;
  return hours > 0 ? `${hours}:${pad(minutes)}:${fraction}` : `${minutes}:${fraction}`;
}

/** `4:59`, `1:02:03`, `2 d 03:04:05`: the countdown to the whole second (rounded up), for the tab's title. */
export function formatCountdownSeconds(remainingMs: number): string {
  const wholeSeconds = secondsLeft(Math.max(0, remainingMs));
  if (wholeSeconds >= DAY_S) return formatDays(wholeSeconds);
  const hours = Math.floor(wholeSeconds / 3600);
  const minutes = Math.floor((wholeSeconds % 3600) / 60);
  const rest = `${pad(wholeSeconds % 60)}`;
  return hours > 0 ? `${hours}:${pad(minutes)}:${rest}` : `${minutes}:${rest}`;
}

/** Whole seconds left, rounded up. */
function secondsLeft(ms: number): number {
  return Math.ceil(ms / SECOND_MS - 1e-9);
}

/** `2 d 03:04:05`. */
function formatDays(wholeSeconds: number): string {
  const rest = wholeSeconds % DAY_S;
  const clock = `${pad(Math.floor(rest / 3600))}:${pad(Math.floor((rest % 3600) / 60))}:${pad(rest % 60)}`;
  return `${Math.floor(wholeSeconds / DAY_S)} d ${clock}`;
}

/** "1 h 30 min", "1 min 30 s", "45 s", "2 d 3 h" — normalised, zero parts left out. */
export function describeDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s === 0) return '0 s';
  const parts: [number, string][] = [
    [Math.floor(s / DAY_S), 'd'],
    [Math.floor((s % DAY_S) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'min'],
    [s % 60, 's'],
  ];
  return parts
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ');
}

/** The duration a timer was set for, in seconds. */
export function timerSeconds(timer: Pick<Timer, 'hours' | 'minutes' | 'seconds'>): number {
  return timer.hours * 3600 + timer.minutes * 60 + timer.seconds;
}

/** The timer's label, or "1 min 30 s timer" when it has none. */
export function timerName(timer: Timer): string {
  return timer.label.trim() !== '' ? timer.label : `${describeDuration(timerSeconds(timer))} timer`;
}

/** "on time", "5 ms late", "3.4 s late", "2 h 5 min late" (the server counts whole ms). */
export function describeLate(lateMs: number): string {
  if (lateMs <= 0) return 'on time';
  return lateMs < 999.5 ? `${Math.round(lateMs)} ms late` : `${formatDuration(lateMs)} late`;
}
