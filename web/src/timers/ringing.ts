/**
 * How a fired timer reaches a person beyond the page: a system notification
 * (the Notification API, once they allowed it — asked only when they press a
 * button) and a short beep (WebAudio). Browsers let a page make sound only
 * after a gesture, so the audio is unlocked by any press on the page; `beep`
 * says whether it could play, so a blocked beep is told (`alertSound.ts`).
 */

import { describeLate, timerName } from './countdown';
import type { Timer } from './timerApi';

export type NotificationAccess = NotificationPermission | 'unsupported';

/** Whether the page may show system notifications. */
export function notificationAccess(): NotificationAccess {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks for permission to notify; call it from a click. */
export async function askForNotifications(): Promise<NotificationAccess> {
  if (typeof Notification === 'undefined') return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

/** A system notification for `timer`, when allowed. */
export function notifyFired(timer: Timer): void {
  if (notificationAccess() !== 'granted') return;
  try {
    // One per timer, even when several tabs see it fire.
    new Notification(`Time’s up: ${timerName(timer)}`, {
      body: `Clocker timer fired ${describeLate(timer.lateMs)}.`,
      tag: `clocker-timer-${timer.id}`,
      icon: '/favicon.svg',
    });
  } catch {
    // Some mobile browsers only notify through a service worker; the page's own alert remains.
  }
}

const BEEP_HZ = 880;
const BEEP_S = 0.12;
const BEEP_GAP_S = 0.08;
const BEEPS = 3;
const VOLUME = 0.2;

/** How long a resume without a gesture may take before the audio counts as blocked (it may never settle). */
const RESUME_WAIT_MS = 150;

export class Beeper {
  private audio: AudioContext | null = null;

  /** Lets later beeps play; call it from a user gesture (a click, a key press). */
  unlock(): void {
    const audio = this.context();
    if (audio?.state === 'suspended') audio.resume().catch(() => {});
  }

  /** Three short beeps; false when the browser blocks the sound (no gesture on the page yet). */
  async beep(): Promise<boolean> {
    // Before any press on the page, creating the audio would only be refused (with a console warning).
    if (this.audio === null && !pageWasActivated()) return false;
    const audio = this.context();
    if (audio === null) return false;
    if (audio.state !== 'running') {
      // Allowed after an earlier gesture on the page; without one, resume() stays pending.
      const waited = new Promise<void>((resolve) => setTimeout(resolve, RESUME_WAIT_MS));
      await Promise.race([audio.resume().catch(() => {}), waited]);
      if ((audio.state as AudioContextState) !== 'running') return false;
    }
    playBeeps(audio);
    return true;
  }

  private context(): AudioContext | null {
    if (typeof AudioContext === 'undefined') return null;
    try {
      this.audio ??= new AudioContext();
    } catch {
      this.audio = null;
    }
    return this.audio;
  }
}

/** Whether the person has pressed anything on this page (where the browser says; else assume so). */
function pageWasActivated(): boolean {
  return typeof navigator === 'undefined' || navigator.userActivation?.hasBeenActive !== false;
}

function playBeeps(audio: AudioContext): void {
  const gain = audio.createGain();
  gain.connect(audio.destination);
  gain.gain.value = 0;
  const start = audio.currentTime + 0.02;
  for (let i = 0; i < BEEPS; i += 1) {
    const at = start + i * (BEEP_S + BEEP_GAP_S);
    const tone = audio.createOscillator();
    tone.type = 'sine';
    tone.frequency.value = BEEP_HZ;
    tone.connect(gain);
    // A short ramp in and out: no clicks.
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(VOLUME, at + 0.01);
    gain.gain.setValueAtTime(VOLUME, at + BEEP_S - 0.02);
    gain.gain.linearRampToValueAtTime(0, at + BEEP_S);
    tone.start(at);
    tone.stop(at + BEEP_S);
  }
}
