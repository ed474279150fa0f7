// The wall clock's wake lock: held while shown, asked for again after the page was hidden, refusals said plainly.
import { describe, expect, it, vi } from 'vitest';
import { WakeLockKeeper, type HeldLock, type WakeLockDeps, type WakeLockState } from './wakeLock';

/** A lock the test can drop as the browser does when the page is hidden. */
function fakeLock() {
  let onRelease = () => {};
  const lock: HeldLock & { drop(): void; released: boolean } = {
    released: false,
    release: vi.fn(async () => {
      lock.released = true;
    }),
    addEventListener: (_type, listener) => void (onRelease = listener),
    drop: () => onRelease(),
  };
  return lock;
}

function setUp(request: WakeLockDeps['request']) {
  let visible = true;
  let onChange = () => {};
  const states: WakeLockState[] = [];
  const keeper = new WakeLockKeeper(
    { request, isVisible: () => visible, onVisibilityChange: (listener) => ((onChange = listener), () => {}) },
    (state) => states.push(state),
  );
  const show = (shown: boolean) => {
    visible = shown;
    onChange();
  };
  return { keeper, states, show };
}

describe('WakeLockKeeper', () => {
  it('holds the lock while shown, asks again when shown after being hidden, and releases on stop', async () => {
    const locks = [fakeLock(), fakeLock()];
    const request = vi.fn(async () => locks[request.mock.calls.length - 1]!);
    const { keeper, states, show } = setUp(request);
    keeper.start();
    await vi.waitFor(() => expect(states.at(-1)).toBe('held'));
    show(false);
    locks[0]!.drop();
    expect(states.at(-1)).toBe('asking');
    show(true);
    await vi.waitFor(() => expect(states.at(-1)).toBe('held'));
    expect(request).toHaveBeenCalledTimes(2);
    keeper.stop();
    expect(locks[1]!.released).toBe(true);
  });

  it('says the screen may sleep when the browser refuses or has no wake lock', async () => {
    const refused = setUp(async () => Promise.reject(new DOMException('denied', 'NotAllowedError')));
    refused.keeper.start();
    await vi.waitFor(() => expect(refused.states.at(-1)).toBe('unavailable'));
    const missing = setUp(null);
    missing.keeper.start();
    expect(missing.states).toEqual(['unavailable']);
  });
});
