/**
 * Guards for JSON that arrives from elsewhere (WebSocket frames, REST
 * answers, event streams, stored sessions): each says whether a value is of
 * the shape wanted, or gives it in that shape, or null. The one copy every
 * parser in the page uses.
 */

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value`'s fields when it is a JSON object, else an empty record (every field then reads as missing). */
export function recordOrEmpty(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** A finite number (not NaN, not ±Infinity). */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A finite number that is zero or more. */
export function isCount(value: unknown): value is number {
  return isFiniteNumber(value) && value >= 0;
}

/** `value` when it is a finite number, else null. */
export function numberOrNull(value: unknown): number | null {
  return isFiniteNumber(value) ? value : null;
}

/** `value` when it is a string with something besides spaces, else null. */
export function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** null or undefined: a field sent as null or left out. */
export function isNullish(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/** `text` parsed as JSON, or `undefined` when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
