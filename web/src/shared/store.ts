/**
 * The one external-store pattern of the page: a value that changes (`Store`:
 * get, set, subscribe) and `useStore`, which reads a slice of it into a
 * component through `useSyncExternalStore`, so a component re-renders only
 * when the slice it selected changes (by `Object.is`, or the `isEqual` given).
 * The clock client, the timers, the random numbers, the services' status and
 * the session all publish through one of these.
 */

import { useMemo, useRef, useSyncExternalStore } from 'react';

/** Something that holds a value and says when it changes. */
export interface Readable<T> {
  readonly getSnapshot: () => T;
  /** Calls `listener` after every change; the function returned stops that. */
  readonly subscribe: (listener: () => void) => () => void;
}

export interface Store<T> extends Readable<T> {
  /** Replaces the value; listeners hear of it only when it is a different value (`Object.is`). */
  readonly set: (value: T) => void;
}

/** A store holding `initial`. */
export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    getSnapshot: () => value,
    set: (next) => {
      if (Object.is(next, value)) return;
      value = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe: (listener) => {
      // A wrapper per subscription, so subscribing the same function twice needs two unsubscribes.
      const once = () => listener();
      listeners.add(once);
      return () => void listeners.delete(once);
    },
  };
}

/**
 * A reader of `selector(store.getSnapshot())` that answers the same object for as
 * long as `isEqual` says the slice has not changed; useSyncExternalStore
 * compares what it answers with `Object.is`, so this is what spares renders.
 */
export function selectWith<T, S>(
  store: Readable<T>,
  selector: (value: T) => S,
  isEqual: (a: S, b: S) => boolean = Object.is,
): () => S {
  let last: { readonly source: T; readonly slice: S } | null = null;
  return () => {
    const source = store.getSnapshot();
    if (last !== null && Object.is(last.source, source)) return last.slice;
    const slice = selector(source);
    if (last !== null && isEqual(last.slice, slice)) {
      last = { source, slice: last.slice };
      return last.slice;
    }
    last = { source, slice };
    return slice;
  };
}

/** The whole value of `store`, or the slice `selector` picks; re-renders only when that changes. */
export function useStore<T>(store: Readable<T>): T;
export function useStore<T, S>(store: Readable<T>, selector: (value: T) => S, isEqual?: (a: S, b: S) => boolean): S;
export function useStore<T, S>(
  store: Readable<T>,
  selector?: (value: T) => S,
  isEqual?: (a: S, b: S) => boolean,
): T | S {
  // The selector is usually an inline arrow: keep the latest in a ref so a new one does not reset the cache.
  const latest = useRef({ selector, isEqual });
  latest.current = { selector, isEqual };
  const getSlice = useMemo(
    () =>
      selectWith<T, T | S>(
        store,
        (value) => (latest.current.selector ? latest.current.selector(value) : value),
        (a, b) => (latest.current.isEqual ? latest.current.isEqual(a as S, b as S) : Object.is(a, b)),
      ),
    [store],
  );
  return useSyncExternalStore(store.subscribe, getSlice, getSlice);
}

/** Element-wise `Object.is` of two arrays: for selectors that build a new list each time. */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, n) => Object.is(item, b[n]));
}
