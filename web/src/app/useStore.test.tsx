import { act, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createStore, useStore } from '../shared/store';

describe('useStore', () => {
  it('re-renders a component only when its selected slice changes', () => {
    const store = createStore({ count: 0, noise: 0 });
    let renders = 0;
    function Count() {
      renders += 1;
      const count = useStore(store, (value) => value.count);
      return <p data-testid="count">{count}</p>;
    }
    render(<Count />);
    const before = renders;
    act(() => store.set({ ...store.getSnapshot(), noise: 1 }));
    act(() => store.set({ ...store.getSnapshot(), noise: 2 }));
    expect(renders).toBe(before);
    act(() => store.set({ ...store.getSnapshot(), count: 5 }));
    expect(renders).toBe(before + 1);
    expect(screen.getByTestId('count').textContent).toBe('5');
  });
});
