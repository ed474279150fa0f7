/**
 * Stands in for an object that cannot be built yet (an API client that
 * needs `/config.json`'s base URLs): each of its async methods waits until
 * the real one is ready, then calls it. So the page can render, and people
 * can press buttons, before the configuration has answered.
 */

/** The methods of `T` that answer with a Promise. */
export type AsyncMethods<T> = {
  [K in keyof T as T[K] extends (...args: never[]) => Promise<unknown> ? K : never]: T[K];
};

/** `T`'s async methods, each calling the object `ready` gives once it has given it. */
export function afterReady<T extends object>(ready: Promise<T>): AsyncMethods<T> {
  return new Proxy({} as AsyncMethods<T>, {
    get(_, key) {
      if (key === 'then') return undefined; // not a promise itself: `await` must not wait on it
      return async (...args: unknown[]) => {
        const target = await ready;
        const method: unknown = Reflect.get(target, key);
        if (typeof method !== 'function') throw new TypeError(`No method ${String(key)}`);
        return (method as (...args: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
