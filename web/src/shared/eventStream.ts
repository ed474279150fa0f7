/**
 * The small interface the stores see of an event stream (Server-Sent
 * Events): open, one kind of named event, and errors, telling a stream the
 * browser will retry by itself (with Last-Event-ID) from one it gave up on.
 * `browserEvents.ts` is the real one; tests use fakes.
 */

/** What an event stream tells its owner. */
export interface EventHandlers {
  onOpen(): void;
  /** The `data:` of one event of the kind the stream was opened for. */
  onEvent(data: string): void;
  /** The stream failed; `closed`: for good (else the browser retries by itself, with Last-Event-ID). */
  onError(closed: boolean): void;
}

/** An open (or opening) stream. After `close()` its handlers are never called again. */
export interface EventStream {
  close(): void;
}

export type OpenEvents = (url: string, handlers: EventHandlers) => EventStream;
