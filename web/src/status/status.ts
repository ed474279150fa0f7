/**
 * What the Status page makes of the funnel's `GET /status.json`: the
 * services `clocker up` supervises, as `clocker ps` shows them —
 * `{"supervised":true,"services":[…]}`, `{"supervised":false,"services":[]}`
 * when the funnel was not started by `clocker up`, or a 503 `{"error":…}`
 * while the supervisor is not answering. Every answer is checked as it
 * arrives (a malformed row is dropped, never trusted); the table's texts
 * (`3m05s`, `6.7 ms`, `6 services, 6 ready`) are formatted here; and a pure
 * reducer keeps the latest rows, which services just restarted (their
 * restart count went up), and what went wrong with the last poll.
 */
import { isCount, isNullish, isRecord, nonEmptyString } from '../shared/json';

/** On the funnel (same origin). */
export const STATUS_PATH = '/status.json';

/** `starting`, `ready`, `not ready`, `unhealthy` or `restarting`; anything newer is shown as it comes. */
export type ServiceState = string;

export interface ServiceRow {
  readonly name: string;
  /** The current process; null between incarnations. */
  readonly pid: number | null;
  /** `host:port`. */
  readonly addr: string;
  readonly state: ServiceState;
  readonly restarts: number;
  /** Seconds since the current incarnation became ready; null while it is not. */
  readonly uptimeS: number | null;
  readonly lastError: string | null;
  /** p99 of the last health-probe round trips, ms; null before the first. */
  readonly probeP99Ms: number | null;
  /** The method overrunning its budget most (`/clocker.v1.Hours/GetHours: 3.0 %`), if any is. */
  readonly overruns: string | null;
  /** Why a service that is up is not ready (`database: unreachable: …`), while it is not. */
  readonly notReady: string | null;
}

export interface StatusReport {
  /** Whether the funnel runs under `clocker up` (only then are there services). */
  readonly supervised: boolean;
  /** In the supervisor's start order. */
  readonly services: readonly ServiceRow[];
}

/** How a state is coloured. */
export type Tone = 'ok' | 'warn' | 'bad' | 'idle';

/** One row of `services`, or null when it is not one. */
export function parseServiceRow(value: unknown): ServiceRow | null {
  if (!isRecord(value)) return null;
  const { name, pid, addr, state, restarts, uptime_s, last_error, probe_p99_ms, overruns, not_ready } = value;
  if (typeof name !== 'string' || name === '') return null;
  if (typeof state !== 'string' || state === '') return null;
  if (!isCount(restarts)) return null;
  if (!isNullish(pid) && !isCount(pid)) return null;
  if (!isNullish(uptime_s) && !isCount(uptime_s)) return null;
  if (!isNullish(probe_p99_ms) && !isCount(probe_p99_ms)) return null;
  return {
    name,
    pid: isCount(pid) ? pid : null,
    addr: typeof addr === 'string' ? addr : '',
    state,
    restarts,
    uptimeS: isCount(uptime_s) ? uptime_s : null,
    lastError: nonEmptyString(last_error),
    probeP99Ms: isCount(probe_p99_ms) ? probe_p99_ms : null,
    overruns: nonEmptyString(overruns),
    notReady: nonEmptyString(not_ready),
  };
}

/** A whole `/status.json` answer, skipping malformed rows; null when it is not one at all. */
export function parseStatusReport(value: unknown): StatusReport | null {
  if (!isRecord(value) || typeof value.supervised !== 'boolean' || !Array.isArray(value.services)) return null;
  const services = value.services.flatMap((item: unknown) => {
    const row = parseServiceRow(item);
    return row === null ? [] : [row];
  });
  return { supervised: value.supervised, services };
}

/** What a poll came to: the report, or a sentence saying why there is none. */
export type PollResult =
  | { readonly ok: true; readonly report: StatusReport }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads an answer of the funnel (its HTTP status and JSON body, null when
 * the body was not JSON): a 200 with a report, or what went wrong.
 */
export function readAnswer(status: number, body: unknown): PollResult {
  if (status >= 200 && status < 300) {
    const report = parseStatusReport(body);
    if (report !== null) return { ok: true, report };
    return { ok: false, problem: 'The funnel sent something that is not a status.' };
  }
  if (isRecord(body) && typeof body.error === 'string' && body.error.trim() !== '') {
    const text = body.error.trim();
    return { ok: false, problem: text.charAt(0).toUpperCase() + text.slice(1) };
  }
  switch (status) {
    case 404:
      return { ok: false, problem: 'This funnel has no /status.json (an older version?).' };
    case 502:
    case 503:
    case 504:
      return { ok: false, problem: 'The supervisor is not answering; retrying.' };
    default:
      return { ok: false, problem: `The funnel answered ${status}.` };
  }
}

/** When the funnel could not be asked at all. */
export const UNREACHABLE = 'Cannot reach the funnel; retrying.';
/** When it took too long to answer. */
export const TOO_SLOW = 'The funnel took too long to answer; retrying.';

// --- formatting ---------------------------------------------------------------

/** As `clocker ps` shows uptime: `12s`, `3m05s`, `1h02m`; `—` when there is none. */
export function formatUptime(seconds: number | null): string {
  if (seconds === null) return '—';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
}

/** `6.7 ms`, one decimal; `—` before the first probe. */
export function formatProbe(ms: number | null): string {
  return ms === null ? '—' : `${ms.toFixed(1)} ms`;
}

/** A pid, or `—` between incarnations. */
export function formatPid(pid: number | null): string {
  return pid === null ? '—' : String(pid);
}

/**
 * The colour of a state: ready is good; starting, restarting and not ready (up,
 * but its database or a service it requires is away) are on their way; unhealthy is bad.
 */
export function toneOf(state: ServiceState): Tone {
  switch (state) {
    case 'ready':
      return 'ok';
    case 'starting':
    case 'restarting':
    case 'not ready':
      return 'warn';
    case 'unhealthy':
      return 'bad';
    default:
      return 'idle';
  }
}

/** The order states are counted in. */
const STATE_ORDER: readonly string[] = ['ready', 'not ready', 'starting', 'restarting', 'unhealthy'];

/**
 * `6 services, 6 ready`; `6 services, 4 ready, 1 starting, 1 unhealthy`
 * (the known states in that order, then any others, each only when some
 * service is in it, ready always).
 */
export function summarize(services: readonly ServiceRow[]): string {
  const counts = new Map<string, number>([['ready', 0]]);
  for (const row of services) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const states = [...counts.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const parts = states.flatMap((state) => {
    const count = counts.get(state) ?? 0;
    return state === 'ready' || count > 0 ? [`${count} ${state}`] : [];
  });
  const total = `${services.length} ${services.length === 1 ? 'service' : 'services'}`;
  return [total, ...parts].join(', ');
}

function rank(state: string): number {
  const index = STATE_ORDER.indexOf(state);
  return index === -1 ? STATE_ORDER.length : index;
}

/** `hours restarted`, `hours and minutes restarted`, `hours, minutes and seconds restarted`. */
export function describeRestarted(names: readonly string[]): string | null {
  if (names.length === 0) return null;
  const list =
    names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${list} restarted`;
}

// --- the page's state ---------------------------------------------------------

/** How long a row stays highlighted after its restart count went up. */
export const HIGHLIGHT_MS = 6_000;

export type StatusPhase =
  /** No answer yet. */
  | 'loading'
  /** The supervisor's services, as of the last poll. */
  | 'supervised'
  /** The funnel runs without `clocker up`. */
  | 'unsupervised';

export interface StatusState {
  readonly phase: StatusPhase;
  /** The latest rows received (kept while polls fail, as the last known). */
  readonly services: readonly ServiceRow[];
  /** Why the last poll failed; null when it succeeded. */
  readonly problem: string | null;
  /** Services whose restart count went up lately → until when they are highlighted, unix ms. */
  readonly highlights: ReadonlyMap<string, number>;
  /** When the last good answer came, unix ms. */
  readonly updatedAtMs: number | null;
}

export type StatusAction =
  | { readonly type: 'answer'; readonly report: StatusReport; readonly atMs: number }
  | { readonly type: 'failure'; readonly problem: string; readonly atMs: number };

export const initialStatus: StatusState = Object.freeze({
  phase: 'loading',
  services: [],
  problem: null,
  highlights: new Map<string, number>(),
  updatedAtMs: null,
});

export function reduceStatus(state: StatusState, action: StatusAction): StatusState {
  switch (action.type) {
    case 'answer': {
      const { report, atMs } = action;
      const services = report.supervised ? report.services : [];
      const highlights = new Map(liveHighlights(state.highlights, atMs));
      for (const name of restartedNames(state.services, services)) highlights.set(name, atMs + HIGHLIGHT_MS);
      return {
        phase: report.supervised ? 'supervised' : 'unsupervised',
        services,
        problem: null,
        highlights: sameEntries(highlights, state.highlights) ? state.highlights : highlights,
        updatedAtMs: atMs,
      };
    }
    case 'failure': {
      const highlights = new Map(liveHighlights(state.highlights, action.atMs));
      return {
        ...state,
        problem: action.problem,
        highlights: sameEntries(highlights, state.highlights) ? state.highlights : highlights,
      };
    }
  }
}

/** The names in `next` whose restart count is above what `prev` had (a service new to `next` is not). */
export function restartedNames(prev: readonly ServiceRow[], next: readonly ServiceRow[]): string[] {
  const before = new Map(prev.map((row) => [row.name, row.restarts]));
  return next.filter((row) => row.restarts > (before.get(row.name) ?? row.restarts)).map((row) => row.name);
}

/** The services highlighted at `nowMs`, in table order. */
export function highlighted(state: StatusState, nowMs: number): string[] {
  return state.services
    .filter((row) => (state.highlights.get(row.name) ?? Number.NEGATIVE_INFINITY) > nowMs)
    .map((row) => row.name);
}

function liveHighlights(highlights: ReadonlyMap<string, number>, nowMs: number): [string, number][] {
  return [...highlights].filter(([, until]) => until > nowMs);
}

function sameEntries(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

// --- helpers ------------------------------------------------------------------

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}




