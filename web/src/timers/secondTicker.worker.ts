/**
 * A tick four times a second, from a worker: a hidden tab's own timers are
 * slowed to once a minute after a few minutes (Chrome's intensive
 * throttling), a dedicated worker's are not, so the tab title's countdown
 * (`CountdownTitle`) keeps to the second while the tab is in the background.
 */

const TICK_MS = 250;

const post = (globalThis as unknown as { postMessage(message: null): void }).postMessage.bind(globalThis);
setInterval(() => post(null), TICK_MS);
