// The beep's blocked state: remembered when the browser refuses, cleared once a press plays it.
import { describe, expect, it, vi } from 'vitest';
import { AlertSound, type Sound } from './alertSound';

function fakeSound(startUnlocked: boolean) {
  let unlocked = startUnlocked;
  return {
    unlock: vi.fn<Sound['unlock']>(() => void (unlocked = true)),
    beep: vi.fn<Sound['beep']>(() => Promise.resolve(unlocked)),
  };
}

describe('AlertSound', () => {
  it('is blocked after a beep the browser refused, and not after a press plays it', async () => {
    const sound = fakeSound(false);
    const alerts = new AlertSound(sound);
    const changed = vi.fn();
    alerts.subscribe(changed);

    await alerts.ring();
    expect(alerts.blocked()).toBe(true);
    expect(changed).toHaveBeenCalledOnce();

    alerts.play();
    await vi.waitFor(() => expect(alerts.blocked()).toBe(false));
    expect(sound.unlock).toHaveBeenCalledOnce();
    expect(sound.beep).toHaveBeenCalledTimes(2);
  });

  it('is never blocked when the beep plays', async () => {
    const alerts = new AlertSound(fakeSound(true));
    await alerts.ring();
    expect(alerts.blocked()).toBe(false);
  });

  it('unlocks on any click or key press on the page', () => {
    const sound = fakeSound(false);
    const page = new EventTarget();
    new AlertSound(sound).unlockOnGesture(page);
    page.dispatchEvent(new Event('keydown'));
    page.dispatchEvent(new Event('pointerdown'));
    expect(sound.unlock).toHaveBeenCalledTimes(2);
  });
});
