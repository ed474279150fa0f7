/**
 * The connection to the funnel as a pure state machine: socket events in, the
 * status the page shows out. Time is always passed in, so "no frame for a
 * second" is a question asked of the state, not a timer inside it.
 *
 * The badge rule: one frame that misses a service is a blip, not an outage.
 * A service is shown as down (status `degraded`) only once it has been
 * missing from every frame for at least `OUTAGE_AFTER_MS`, and as answering
 * again from the first frame that has it back. (The clock's fields still
 * show `--` for each frame that lacks them: that frame has no such digits.)
 * The funnel's log applies the same rule to its "degraded" lines.
 */

export type StatusState = 'connecting' | 'live' | 'degraded' | 'stalled' | 'reconnecting';

export interface Status {
  readonly state: StatusState;
  /** One short sentence for people, e.g. "Reconnecting in 2 s (attempt 3)". */
  readonly text: string;
}

export interface ConnectionState {
  readonly socket: 'connecting' | 'open' | 'closed';
  /** 0 for the first connection, n for the n-th retry in a row. */
  readonly attempt: number;
  /** When the socket entered its current state (client timeline, ms). */
  readonly since: number;
  /** First and latest frame on the current socket. */
  readonly firstFrameAt: number | null;
  readonly lastFrameAt: number | null;
  /** While closed: when the next attempt starts. */
  readonly retryAt: number | null;
  /** The services the latest frame named as not answering. */
  readonly degraded: readonly string[];
  /** When each service in `degraded` was first missing, in the current unbroken run of frames without it. */
  readonly missingSince: Readonly<Record<string, number>>;
  /** The services down for real (missing for `OUTAGE_AFTER_MS` or more): what the badge names. */
  readonly outage: readonly string[];
  /** Whether any socket has delivered a frame yet. */
  readonly everLive: boolean;
}

export type ConnectionEvent =
  | { readonly type: 'connecting'; readonly at: number; readonly attempt: number }
  | { readonly type: 'open'; readonly at: number }
  | { readonly type: 'frame'; readonly at: number; readonly degraded: readonly string[] }
  | { readonly type: 'closed'; readonly at: number; readonly retryAt: number; readonly attempt: number };

/** An open socket silent for longer than this is stalled. */
export const STALL_AFTER_MS = 1_000;
/** An open socket silent for longer than this is given up on and replaced. */
export const GIVE_UP_AFTER_MS = 5_000;
/** A socket still opening after this long is given up on too. */
export const CONNECT_TIMEOUT_MS = 10_000;
/**
 * A service missing from every frame for at least this long is down (the
 * badge says degraded); a shorter gap is a blip. At the funnel's 20 Hz that
 * is about ten frames in a row; a frame that has it back ends the outage.
 */
export const OUTAGE_AFTER_MS = 500;

export function initialConnection(at: number): ConnectionState {
  return {
    socket: 'connecting',
    attempt: 0,
    since: at,
    firstFrameAt: null,
    lastFrameAt: null,
    retryAt: null,
    degraded: [],
    missingSince: {},
    outage: [],
    everLive: false,
  };
}

/** No service is known missing: a new socket starts its own count. */
const NO_OUTAGE = { missingSince: {}, outage: [] } as const;

export function reduceConnection(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  switch (event.type) {
    case 'connecting':
      return {
        ...state,
        socket: 'connecting',
        attempt: event.attempt,
        since: event.at,
        firstFrameAt: null,
        lastFrameAt: null,
        retryAt: null,
        ...NO_OUTAGE,
      };
    case 'open':
      return state.socket === 'connecting' ? { ...state, socket: 'open', since: event.at } : state;
    case 'frame':
      if (state.socket !== 'open') return state;
      return {
        ...state,
        ...trackOutages(state, event.degraded, event.at),
        firstFrameAt: state.firstFrameAt ?? event.at,
        lastFrameAt: event.at,
        // Keep the same array while nothing changed, so consumers can compare by reference.
        degraded: sameNames(state.degraded, event.degraded) ? state.degraded : [...event.degraded],
        everLive: true,
      };
    case 'closed':
      return {
        ...state,
        socket: 'closed',
        attempt: event.attempt,
        since: event.at,
        firstFrameAt: null,
        lastFrameAt: null,
        retryAt: event.retryAt,
        ...NO_OUTAGE,
      };
  }
}

/**
 * The badge rule on one frame at `at` naming `degraded`: each missing
 * service keeps the time it was first missing while every frame misses it
 * (one that has it back forgets it), and is an outage once that is
 * `OUTAGE_AFTER_MS` ago.
 */
export function trackOutages(
  state: Pick<ConnectionState, 'missingSince' | 'outage'>,
  degraded: readonly string[],
  at: number,
): Pick<ConnectionState, 'missingSince' | 'outage'> {
  const missingSince: Record<string, number> = {};
  for (const name of degraded) missingSince[name] = state.missingSince[name] ?? at;
  const outage = degraded.filter((name) => at - (missingSince[name] ?? at) >= OUTAGE_AFTER_MS);
  return { missingSince, outage: sameNames(state.outage, outage) ? state.outage : outage };
}

/** How long the current socket has been delivering frames, ms. */
export function liveFor(state: ConnectionState, now: number): number {
  return state.firstFrameAt === null ? 0 : Math.max(0, now - state.firstFrameAt);
}

/** How long an open socket has gone without a frame (since it opened, before the first one). */
export function silenceOf(state: ConnectionState, now: number): number {
  if (state.socket !== 'open') return 0;
  return Math.max(0, now - (state.lastFrameAt ?? state.since));
}

/** Whether the socket is so silent, or so slow to open, that it should be replaced. */
export function shouldGiveUp(state: ConnectionState, now: number): boolean {
  if (state.socket === 'connecting') return now - state.since > CONNECT_TIMEOUT_MS;
  return silenceOf(state, now) > GIVE_UP_AFTER_MS;
}

/** Whether frames are arriving now: the clock may be presented as live. */
export function isReceiving(state: ConnectionState, now: number): boolean {
  return state.socket === 'open' && state.lastFrameAt !== null && silenceOf(state, now) <= STALL_AFTER_MS;
}

export function statusOf(state: ConnectionState, now: number): Status {
  if (state.socket === 'closed') {
    const waitMs = (state.retryAt ?? now) - now;
    return {
      state: 'reconnecting',
      text:
        waitMs > 0
          ? `Reconnecting in ${Math.ceil(waitMs / 1000)} s (attempt ${state.attempt})`
          : `Reconnecting (attempt ${state.attempt})…`,
    };
  }
  const silence = silenceOf(state, now);
  if (state.socket === 'open' && silence > STALL_AFTER_MS) {
    return { state: 'stalled', text: `No frames for ${Math.floor(silence / 1000)} s` };
  }
  if (state.lastFrameAt === null) {
    // Connecting, or connected and waiting for the first frame.
    return state.attempt === 0 && !state.everLive
      ? { state: 'connecting', text: 'Connecting…' }
      : { state: 'reconnecting', text: `Reconnecting (attempt ${Math.max(1, state.attempt)})…` };
  }
  if (state.outage.length > 0) {
    return { state: 'degraded', text: `Degraded: ${listNames(state.outage)} not answering` };
  }
  return { state: 'live', text: 'Live' };
}

/** "a", "a and b", "a, b and c". */
export function listNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
