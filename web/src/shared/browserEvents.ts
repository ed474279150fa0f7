/**
 * The browser's EventSource behind the stores' small EventStream interface
 * (`eventStream.ts`): one kind of named event (`event: timer`,
 * `event: data`), open, and errors, telling a stream the browser will retry
 * (with Last-Event-ID) from one it gave up on.
 */

import type { OpenEvents } from './eventStream';

/**
 * Opens EventSources that pass on the events named `eventName`;
 * `withCredentials` sends the stream service's cookies to it on another origin.
 */
export function browserEvents(eventName: string, init: EventSourceInit = {}): OpenEvents {
  return (url, handlers) => {
    let detached = false;
    let source: EventSource;
    try {
      source = new EventSource(url, init);
    } catch {
      queueMicrotask(() => !detached && handlers.onError(true));
      return { close: () => void (detached = true) };
    }
    source.onopen = () => !detached && handlers.onOpen();
    source.addEventListener(eventName, (event: MessageEvent) => {
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
}
