/**
 * How a fired timer reaches a person beyond the page: a system notification
 * (the Notification API, once they allowed it — asked only when they press a
 * button) and a short beep (WebAudio). Browsers let a page make sound only
 * after a gesture, so the audio is unlocked by the press that sets a timer;
 * without it the beep is skipped quietly rather than warned about.
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

export class Beeper {
  private audio: AudioContext | null = null;

  /** Lets later beeps play; call it from a user gesture (a click, a key press). */
  unlock(): void {
    if (typeof AudioContext === 'undefined') return;
    try {
      this.audio ??= new AudioContext();
      if (this.audio.state === 'suspended') this.audio.resume().catch(() => {});
    } catch {
      this.audio = null;
    }
  }

  /** Three short beeps, if audio was unlocked. */
  beep(): void {
    const audio = this.audio;
    if (audio === null || audio.state !== 'running') return;
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
}
