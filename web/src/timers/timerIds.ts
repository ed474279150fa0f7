/**
 * The ids of the timers this browser set. Anonymous timers are reached only by
 * their id (the server never lists them, nor streams events of timers a watcher
 * does not name), so the page keeps the ids in localStorage: it loads those
 * timers one by one and follows their events with `/stream/timers?ids=…`. Never
 * anybody else's timers, so never anybody else's labels as alerts.
 */

/** The most ids kept (and named in one stream: the service follows at most 100). */
export const MAX_TIMER_IDS = 100;
const KEY = 'clocker.timerIds';

export interface TimerIds {
  /** Oldest first. */
  list(): string[];
  add(id: string): void;
  forget(ids: readonly string[]): void;
}

/** Ids kept in `storage` (in memory when there is none, or it refuses). */
export function storedTimerIds(storage: Pick<Storage, 'getItem' | 'setItem'> | null): TimerIds {
  let memory: string[] = read(storage);
  const save = (ids: string[]) => {
    memory = ids.slice(-MAX_TIMER_IDS);
    try {
      storage?.setItem(KEY, JSON.stringify(memory));
    } catch {
      // Private mode or full: this page still remembers them.
    }
  };
  return {
    list: () => [...memory],
    add: (id) => save([...memory.filter((known) => known !== id), id]),
    forget: (ids) => save(memory.filter((known) => !ids.includes(known))),
  };
}

function read(storage: Pick<Storage, 'getItem'> | null): string[] {
  try {
    const value: unknown = JSON.parse(storage?.getItem(KEY) ?? '[]');
    if (!Array.isArray(value)) return [];
    return value.filter((id): id is string => typeof id === 'string' && id !== '').slice(-MAX_TIMER_IDS);
  } catch {
    return [];
  }
}

/** The events URL for `ids`, resuming after `lastSeq` when one was seen. */
export function eventsUrlFor(base: string, ids: readonly string[], lastSeq: number | null): string {
  const url = new URL(base, 'http://placeholder.invalid');
  url.searchParams.set('ids', ids.join(','));
  if (lastSeq !== null) url.searchParams.set('last_event_id', String(lastSeq));
  return base.startsWith('http') ? url.toString() : `${url.pathname}${url.search}`;
}
