/**
 * `window.__clocker`: read-only getters the end-to-end tests use to see what
 * the page believes, without scraping text.
 */

import type { ClockClient, SyncReport } from '../clock/client';
import type { StatusState } from '../clock/connection';

export interface ClockerHooks {
  /** offsetMs: server clock minus performance.timeOrigin + performance.now(). */
  sync(): SyncReport;
  /** The status shown, as in [data-testid="status"][data-state]. */
  state(): StatusState;
  /** The zone in use. */
  zone(): string;
}

declare global {
  interface Window {
    __clocker?: ClockerHooks;
  }
}

export function installTestHooks(client: ClockClient): void {
  window.__clocker = Object.freeze({
    sync: () => client.syncReport(),
    state: () => client.getSnapshot().status.state,
    zone: () => client.getSnapshot().zone,
  });
}
