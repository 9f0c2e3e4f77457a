import { PassThrough } from 'node:stream';
import type { EventsService, PlatformEvent } from '../plugin-api/services.ts';
import type { OperationResponse } from '../plugin-api/types.ts';

/** One Server-Sent Events frame: `id` (what a client sends back as Last-Event-ID), event name, JSON data. */
export interface SseFrame {
  id?: string;
  event: string;
  data: unknown;
}

export interface EventStreamOptions {
  events: Pick<EventsService, 'subscribe'>;
  /** The live events this stream carries (a workspace's, some topics). */
  filter: { tenantId?: string; topics?: ReadonlySet<string> };
  /** The request's signal: the stream ends when the client goes away. */
  signal: AbortSignal;
  /** How a live event is written; undefined drops it. */
  format: (event: PlatformEvent) => SseFrame | undefined;
  /**
   * Frames sent before any live event (a snapshot of the current state, or what the client missed).
   * Live events that arrive meanwhile are held and sent after it, except those whose ids it returns
   * (already sent). A failure ends the stream; the client reconnects.
   */
  prelude?: (send: (frame: SseFrame) => void) => Promise<Iterable<string> | undefined>;
  /** Keep-alive comment interval (default 15 s), so proxies keep the connection open. */
  heartbeatMs?: number;
  /** Bytes a client may fall behind before it is cut off (default 1 MiB); it reconnects. */
  maxBufferedBytes?: number;
  /** Live events held during the prelude before the stream gives up (default 10,000). */
  maxHeld?: number;
  /** Called once when the stream ends, however it ends. */
  onClose?: () => void;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

const frameText = (frame: SseFrame) => `${frame.id !== undefined ? `id: ${frame.id}\n` : ''}event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`;

/**
 * A Server-Sent Events response over the event bus, for plugins: subscribes first, then sends the
 * prelude, then live events in commit order, with keep-alive comments. A client that stops
 * reading is disconnected instead of growing this node's memory, and every way the stream ends
 * (client gone, too slow, prelude failed) unsubscribes once.
 */
export function eventStreamResponse(options: EventStreamOptions): OperationResponse {
  const stream = new PassThrough();
  const maxBuffered = options.maxBufferedBytes ?? 1 << 20;
  const maxHeld = options.maxHeld ?? 10_000;
  let held: PlatformEvent[] | undefined = options.prelude ? [] : undefined;
  let closed = false;
  const send = (frame: SseFrame) => {
    if (closed) return;
    stream.write(frameText(frame));
    if (stream.writableLength > maxBuffered) close();
  };
  const sendEvent = (event: PlatformEvent) => {
    const frame = options.format(event);
    if (frame) send(frame);
  };
  const unsubscribe = options.events.subscribe((event) => {
    if (closed) return;
    if (!held) sendEvent(event);
    else if (held.length < maxHeld) held.push(event);
    else close();
  }, options.filter);
  const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
  function close() {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    unsubscribe();
    stream.end();
    options.onClose?.();
  }
  options.signal.addEventListener('abort', close, { once: true });
  stream.on('close', close);
  if (options.signal.aborted) close();
  stream.write('retry: 3000\n\n');
  if (options.prelude)
    options
      .prelude(send)
      .then((sent) => {
        if (closed) return;
        const already = new Set(sent ?? []);
        const pending = held ?? [];
        held = undefined;
        for (const event of pending) if (!already.has(event.id)) sendEvent(event);
      })
      .catch(() => close());
  return {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      ...options.headers,
    },
    body: stream,
  };
}
