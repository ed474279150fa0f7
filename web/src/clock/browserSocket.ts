/**
 * The browser's WebSocket behind the client's small Socket interface, and
 * the address of the funnel's /ws on the page's own origin (ws: or wss:
 * following the page), so the page works behind a single-origin proxy.
 */

import type { OpenSocket } from './client';

export const openBrowserSocket: OpenSocket = (url, handlers) => {
  let detached = false;
  const lost = () => {
    if (detached) return;
    detached = true;
    handlers.onClose();
  };
  let ws: WebSocket;
  try {
    ws = new WebSocket(url);
  } catch {
    queueMicrotask(lost);
    return { send: () => {}, close: () => void (detached = true) };
  }
  ws.onopen = () => !detached && handlers.onOpen();
  ws.onmessage = (event: MessageEvent) => {
    if (!detached && typeof event.data === 'string') handlers.onMessage(event.data);
  };
  ws.onerror = lost;
  ws.onclose = lost;
  return {
    send(text) {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    close() {
      detached = true;
      if (ws.readyState === WebSocket.CONNECTING) {
        // Closing before the handshake ends logs an error; close once it does.
        ws.onopen = () => ws.close(1000);
      } else if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000);
      }
    },
  };
};

/** `ws(s)://<this host>/ws?tz=<zone>`. */
export function socketUrl(location: Pick<Location, 'protocol' | 'host'>, zone: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?tz=${encodeURIComponent(zone)}`;
}
