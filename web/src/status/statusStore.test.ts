// The Status page's poll against a fake fetch, a fake timer and a fake tab: once at once, then a
// second after each answer, never two at a time, paused while hidden, stopped when the page is
// left, slow polls abandoned, failures shown over the last rows, restarted rows highlighted.
import { beforeEach, describe, expect, it } from 'vitest';
import { HIGHLIGHT_MS, TOO_SLOW, UNREACHABLE } from './status';
import { POLL_MS, POLL_TIMEOUT_MS, StatusStore, type Schedule, type Visibility } from './statusStore';

const T = 1_795_000_000_000;

interface Call {
  readonly url: string;
  readonly init: RequestInit | undefined;
  readonly answer: (status: number, body: unknown) => void;
  readonly fail: () => void;
  aborted: boolean;
}

/** A timer on a clock that moves only when told. */
class FakeTime {
  now = T;
  private tasks: { at: number; run: () => void; live: boolean }[] = [];

  readonly schedule: Schedule = (run, ms) => {
    const task = { at: this.now + ms, run, live: true };
    this.tasks.push(task);
    return () => void (task.live = false);
  };

  /** Moves the clock `ms` on, running what falls due on the way. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = this.tasks.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.now = due.at;
      due.live = false;
      due.run();
      await settle();
    }
    this.now = end;
    this.tasks = this.tasks.filter((t) => t.live);
  }

  pending(): number {
    return this.tasks.filter((t) => t.live).length;
  }
}

class FakeTab implements Visibility {
  isHidden = false;
  private readonly listeners = new Set<() => void>();
  hidden = () => this.isHidden;
  onChange = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };
  set(hidden: boolean): void {
    this.isHidden = hidden;
    for (const listener of this.listeners) listener();
  }
  watchers(): number {
    return this.listeners.size;
  }
}

/** Lets promise callbacks (the fake fetch's answers) run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const HOURS = {
  name: 'hours',
  pid: 21980,
  addr: '127.0.0.1:46623',
  state: 'ready',
  restarts: 0,
  uptime_s: 12,
  last_error: null,
  probe_p99_ms: 6.7,
  overruns: null,
};

let calls: Call[];
let time: FakeTime;
let tab: FakeTab;
let store: StatusStore;
const last = () => calls[calls.length - 1]!;
const snapshot = () => store.getSnapshot();

async function answer(status: number, body: unknown): Promise<void> {
  last().answer(status, body);
  await settle();
}

beforeEach(() => {
  calls = [];
  time = new FakeTime();
  tab = new FakeTab();
  store = new StatusStore({
    fetch: (url, init) =>
      new Promise<Response>((resolve, reject) => {
        const call: Call = {
          url,
          init,
          aborted: false,
          answer: (status, body) =>
            resolve(new Response(typeof body === 'string' ? body : JSON.stringify(body), { status })),
          fail: () => reject(new TypeError('Failed to fetch')),
        };
        init?.signal?.addEventListener('abort', () => {
          call.aborted = true;
          reject(new DOMException('The operation was aborted.', 'AbortError'));
        });
        calls.push(call);
      }),
    schedule: time.schedule,
    now: () => time.now,
    visibility: tab,
  });
});

describe('StatusStore', () => {
  it('polls /status.json at once when the page is shown, then a second after each answer', async () => {
    expect(snapshot().phase).toBe('loading');
    store.start();
    store.start();
    expect(calls).toHaveLength(1);
    expect(last().url).toBe('/status.json');
    expect(last().init?.cache).toBe('no-store');

    // No second poll while the first is unanswered.
    await time.advance(3 * POLL_MS);
    expect(calls).toHaveLength(1);
    await answer(200, { supervised: true, services: [HOURS] });
    expect(snapshot()).toMatchObject({ phase: 'supervised', problem: null, updatedAtMs: T + 3 * POLL_MS });
    expect(snapshot().services[0]).toMatchObject({ name: 'hours', pid: 21980, uptimeS: 12 });

    await time.advance(POLL_MS - 1);
    expect(calls).toHaveLength(1);
    await time.advance(1);
    expect(calls).toHaveLength(2);
    await answer(200, { supervised: true, services: [{ ...HOURS, uptime_s: 13 }] });
    expect(snapshot().services[0]?.uptimeS).toBe(13);
    store.stop();
  });

  it('says when the funnel is not under clocker up, and keeps asking', async () => {
    store.start();
    await answer(200, { supervised: false, services: [] });
    expect(snapshot()).toMatchObject({ phase: 'unsupervised', services: [] });
    await time.advance(POLL_MS);
    expect(calls).toHaveLength(2);
    store.stop();
  });

  it('shows a 503 over the last rows and keeps polling until the supervisor answers', async () => {
    store.start();
    await answer(200, { supervised: true, services: [HOURS] });
    await time.advance(POLL_MS);
    await answer(503, { error: 'the supervisor is not answering; retry shortly' });
    expect(snapshot()).toMatchObject({
      phase: 'supervised',
      problem: 'The supervisor is not answering; retry shortly',
      updatedAtMs: T,
    });
    expect(snapshot().services).toHaveLength(1);

    await time.advance(POLL_MS);
    last().fail();
    await settle();
    expect(snapshot().problem).toBe(UNREACHABLE);

    await time.advance(POLL_MS);
    await answer(200, { supervised: true, services: [HOURS] });
    expect(snapshot().problem).toBeNull();
    store.stop();
  });

  it('abandons a poll that takes too long, and polls again', async () => {
    store.start();
    await time.advance(POLL_TIMEOUT_MS);
    expect(calls[0]!.aborted).toBe(true);
    expect(snapshot().problem).toBe(TOO_SLOW);
    await time.advance(POLL_MS);
    expect(calls).toHaveLength(2);
    await answer(200, { supervised: true, services: [HOURS] });
    expect(snapshot().problem).toBeNull();
    store.stop();
  });

  it('takes a body that is not JSON as a failure', async () => {
    store.start();
    await answer(502, '<html>Bad gateway</html>');
    expect(snapshot().problem).toBe('The supervisor is not answering; retrying.');
    await time.advance(POLL_MS);
    await answer(200, 'not json');
    expect(snapshot().problem).toBe('The funnel sent something that is not a status.');
    store.stop();
  });

  it('pauses while the tab is hidden and polls at once when it is back', async () => {
    store.start();
    await answer(200, { supervised: true, services: [HOURS] });
    tab.set(true);
    await time.advance(10 * POLL_MS);
    expect(calls).toHaveLength(1);
    expect(time.pending()).toBe(0);

    tab.set(false);
    expect(calls).toHaveLength(2);
    // Hidden with a poll under way: it is abandoned, its late answer ignored.
    tab.set(true);
    expect(last().aborted).toBe(true);
    expect(snapshot().problem).toBeNull();
    tab.set(false);
    expect(calls).toHaveLength(3);
    await answer(200, { supervised: true, services: [{ ...HOURS, uptime_s: 99 }] });
    expect(snapshot().services[0]?.uptimeS).toBe(99);
    store.stop();
  });

  it('does not poll when shown in a hidden tab until the tab is shown', async () => {
    tab.isHidden = true;
    store.start();
    expect(calls).toHaveLength(0);
    tab.set(false);
    expect(calls).toHaveLength(1);
    store.stop();
  });

  it('stops when the page is left, ignoring a late answer, and starts again when it is back', async () => {
    store.start();
    const first = last();
    store.stop();
    expect(first.aborted).toBe(true);
    expect(tab.watchers()).toBe(0);
    await settle();
    expect(snapshot().phase).toBe('loading');
    expect(snapshot().problem).toBeNull();
    await time.advance(10 * POLL_MS);
    expect(calls).toHaveLength(1);
    tab.set(false); // no longer watched
    expect(calls).toHaveLength(1);

    store.start();
    expect(calls).toHaveLength(2);
    await answer(200, { supervised: true, services: [HOURS] });
    store.stop();
    await time.advance(10 * POLL_MS);
    expect(calls).toHaveLength(2);
  });

  it('highlights a service whose restarts went up, for a while, and tells its listeners', async () => {
    store.start();
    await answer(200, { supervised: true, services: [HOURS] });
    expect(snapshot().restarted).toEqual([]);
    let heard = 0;
    store.subscribe(() => (heard += 1));

    await time.advance(POLL_MS);
    await answer(200, {
      supervised: true,
      services: [{ ...HOURS, pid: null, state: 'restarting', restarts: 1, uptime_s: null, last_error: 'killed by SIGKILL' }],
    });
    expect(heard).toBe(1);
    expect(snapshot().restarted).toEqual(['hours']);
    expect(snapshot().services[0]).toMatchObject({ state: 'restarting', lastError: 'killed by SIGKILL' });

    const restarted = snapshot().restarted;
    await time.advance(POLL_MS);
    await answer(200, { supervised: true, services: [{ ...HOURS, pid: 22000, restarts: 1, uptime_s: 0 }] });
    expect(snapshot().restarted).toBe(restarted);

    // Polls keep coming every second; the highlight goes once its time is up.
    for (let i = 0; i < HIGHLIGHT_MS / POLL_MS; i += 1) {
      await time.advance(POLL_MS);
      await answer(200, { supervised: true, services: [{ ...HOURS, pid: 22000, restarts: 1, uptime_s: i + 1 }] });
    }
    expect(snapshot().restarted).toEqual([]);
    store.stop();
  });
});
