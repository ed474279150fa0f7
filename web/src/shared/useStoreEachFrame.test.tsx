// A fast store read at most once per animation frame, and not while the tab is hidden.
import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStore } from './store';
import { useStoreEachFrame } from './useStoreEachFrame';

let frames: FrameRequestCallback[];
let hidden: boolean;

/** Runs the animation frames asked for so far. */
function runFrames() {
  const due = frames;
  frames = [];
  act(() => due.forEach((frame) => frame(0)));
}

beforeEach(() => {
  frames = [];
  hidden = false;
  vi.spyOn(window, 'requestAnimationFrame').mockImplementation((frame) => frames.push(frame));
  vi.spyOn(window, 'cancelAnimationFrame').mockImplementation(() => {});
  vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => (hidden ? 'hidden' : 'visible'));
});

afterEach(() => vi.restoreAllMocks());

describe('useStoreEachFrame', () => {
  it('renders once per frame with the latest value, however many changes came', () => {
    const store = createStore(0);
    let renders = 0;
    function Count() {
      renders += 1;
      return <p data-testid="n">{useStoreEachFrame(store)}</p>;
    }
    render(<Count />);
    runFrames();
    const before = renders;
    act(() => {
      for (let n = 1; n <= 10; n += 1) store.set(n);
    });
    expect(renders).toBe(before);
    expect(frames).toHaveLength(1);
    runFrames();
    expect(renders).toBe(before + 1);
    expect(screen.getByTestId('n').textContent).toBe('10');
  });

  it('draws nothing while the tab is hidden, and catches up when it is shown', () => {
    const store = createStore(0);
    function Value() {
      return <p data-testid="v">{useStoreEachFrame(store)}</p>;
    }
    render(<Value />);
    runFrames();
    hidden = true;
    act(() => store.set(5));
    expect(frames).toHaveLength(0);
    hidden = false;
    act(() => document.dispatchEvent(new Event('visibilitychange')));
    runFrames();
    expect(screen.getByTestId('v').textContent).toBe('5');
  });
});
