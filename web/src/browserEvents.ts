/**
 * The browser's EventSource behind the timer store's small EventStream
 * interface: `event: timer` messages, open, and errors, telling a stream the
 * browser will retry (with Last-Event-ID) from one it gave up on.
 */

import type { OpenEvents } from './timerStore';

export const openBrowserEvents: OpenEvents = (url, handlers) => {
  let detached = false;
  let source: EventSource;
  try {
    source = new EventSource(url);
  } catch {
    queueMicrotask(() => !detached && handlers.onError(true));
    return { close: () => void (detached = true) };
  }
  source.onopen = () => !detached && handlers.onOpen();
  source.addEventListener('timer', (event: MessageEvent) => {
    if (!detached && typeof event.data === 'string') handlers.onEvent(event.data);
  });
  source.onerror = () => {
    if (detached) return;
    const closed = source.readyState === EventSource.CLOSED;
    if (closed) detached = true;
    handlers.onError(closed);
  };
  return {
    close() {
      detached = true;
      source.close();
    },
  };
};
