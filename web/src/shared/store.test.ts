import { describe, expect, it, vi } from 'vitest';
import { createStore, sameItems, selectWith } from './store';

describe('createStore', () => {
  it('tells listeners of a new value, not of the same one again', () => {
    const store = createStore({ n: 1 });
    const listener = vi.fn();
    store.subscribe(listener);
    const same = store.getSnapshot();
    store.set(same);
    expect(listener).not.toHaveBeenCalled();
    store.set({ n: 2 });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot()).toEqual({ n: 2 });
  });

  it('stops telling a listener once it unsubscribes', () => {
    const store = createStore(0);
    const kept = vi.fn();
    const dropped = vi.fn();
    store.subscribe(kept);
    const unsubscribe = store.subscribe(dropped);
    unsubscribe();
    store.set(1);
    expect(kept).toHaveBeenCalledTimes(1);
    expect(dropped).not.toHaveBeenCalled();
  });

  it('keeps a listener subscribed twice until both are undone', () => {
    const store = createStore(0);
    const listener = vi.fn();
    const first = store.subscribe(listener);
    store.subscribe(listener);
    first();
    store.set(1);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('lets a listener unsubscribe another while being told', () => {
    const store = createStore(0);
    const later = vi.fn();
    let undoLater = () => {};
    store.subscribe(() => undoLater());
    undoLater = store.subscribe(later);
    store.set(1);
    store.set(2);
    expect(later).toHaveBeenCalledTimes(1);
  });
});

describe('selectWith', () => {
  it('answers the same slice while the selected part is unchanged', () => {
    const store = createStore({ a: 1, b: { deep: true } });
    const readB = selectWith(store, (value) => value.b);
    const first = readB();
    store.set({ ...store.getSnapshot(), a: 2 });
    expect(readB()).toBe(first);
    store.set({ ...store.getSnapshot(), b: { deep: false } });
    expect(readB()).not.toBe(first);
    expect(readB()).toEqual({ deep: false });
  });

  it('uses isEqual to keep a rebuilt but equal slice', () => {
    const store = createStore({ items: [1, 2, 3], other: 0 });
    const readEven = selectWith(
      store,
      (value) => value.items.filter((n) => n % 2 === 0),
      sameItems,
    );
    const first = readEven();
    store.set({ items: [1, 2, 3, 5], other: 1 });
    expect(readEven()).toBe(first);
    store.set({ items: [2, 4], other: 1 });
    expect(readEven()).toEqual([2, 4]);
  });

  it('without isEqual, a rebuilt slice is a new one', () => {
    const store = createStore({ items: [1, 2] });
    const read = selectWith(store, (value) => value.items.filter(() => true));
    const first = read();
    store.set({ items: [1, 2] });
    expect(read()).not.toBe(first);
  });
});
