/**
 * The connection to the funnel as a pure state machine: socket events in, the
 * status the page shows out. Time is always passed in, so "no frame for a
 * second" is a question asked of the state, not a timer inside it.
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

export function initialConnection(at: number): ConnectionState {
  return {
    socket: 'connecting',
    attempt: 0,
    since: at,
    firstFrameAt: null,
    lastFrameAt: null,
    retryAt: null,
    degraded: [],
    everLive: false,
  };
}

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
      };
    case 'open':
      return state.socket === 'connecting' ? { ...state, socket: 'open', since: event.at } : state;
    case 'frame':
      if (state.socket !== 'open') return state;
      return {
        ...state,
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
      };
  }
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
  if (state.degraded.length > 0) {
    return { state: 'degraded', text: `Degraded: ${listNames(state.degraded)} not answering` };
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
