/**
 * The fired timer's beep, and whether the browser blocked it: a page may
 * make sound only after a click or key press on it, so the first press
 * anywhere unlocks the audio (`unlockOnGesture`), and a beep that could not
 * play is remembered (`blocked`) so the alert can say so and offer a
 * "Play sound" button. Published for React (`useSyncExternalStore`).
 */

export interface Sound {
  /** Lets later sounds play; from a gesture. */
  unlock(): void;
  /** Plays the beep; false when the browser blocked it. */
  beep(): Promise<boolean>;
}

export class AlertSound {
  private readonly sound: Sound;
  private readonly listeners = new Set<() => void>();
  private isBlocked = false;

  constructor(sound: Sound) {
    this.sound = sound;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Whether the last beep was blocked by the browser (until one plays). */
  readonly blocked = (): boolean => this.isBlocked;

  /** A timer fired: beep, and remember whether the browser let it. */
  readonly ring = async (): Promise<void> => {
    this.setBlocked(!(await this.sound.beep()));
  };

  /** The "Play sound" press: unlocks the audio (for later alerts too) and beeps. */
  readonly play = (): void => {
    this.sound.unlock();
    void this.ring();
  };

  /** Unlocks the audio on every click and key press on `target` (the document). */
  unlockOnGesture(target: Pick<EventTarget, 'addEventListener'>): void {
    const unlock = () => this.sound.unlock();
    target.addEventListener('pointerdown', unlock, { capture: true });
    target.addEventListener('keydown', unlock, { capture: true });
  }

  private setBlocked(blocked: boolean): void {
    if (blocked === this.isBlocked) return;
    this.isBlocked = blocked;
    for (const listener of this.listeners) listener();
  }
}
