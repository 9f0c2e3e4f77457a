import { PassThrough } from 'node:stream';
import type { OperationResponse } from '../plugin-api/index.ts';
import type { EventBus, EventFilter } from './event-bus.ts';
import type { OutboxEvent } from './event-outbox.ts';

export interface SseOptions {
  bus: EventBus;
  filter: EventFilter;
  /** Events committed after `afterId` that the filter allows, oldest first (resume from the outbox). */
  backlog: (afterId: string) => Promise<OutboxEvent[]>;
  lastEventId?: string;
  signal: AbortSignal;
  heartbeatMs?: number;
  /** Bytes a slow client may fall behind before it is cut off (it resumes with Last-Event-ID). */
  maxBufferedBytes?: number;
  /**
   * Ends the stream from outside (its principal's access narrowed): called with the stream's close,
   * returns what stops watching. The client reconnects, is authorized afresh and resumes.
   */
  closeWhen?: (close: () => void) => () => void;
  /** How an event is written: its SSE event name and data (default: topic and the whole event). */
  format?: (event: OutboxEvent) => { event: string; data: unknown };
}

const frame = (id: string, event: string, data: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * A Server-Sent Events response over the event bus: replays what the client missed since
 * Last-Event-ID from the outbox, then streams live events, with heartbeat comments so proxies keep
 * the connection open. A client that stops reading is disconnected instead of growing memory.
 */
export function sseResponse(options: SseOptions): OperationResponse {
  const { bus, filter, signal } = options;
  const format = options.format ?? ((event) => ({ event: event.topic, data: event }));
  const maxBuffered = options.maxBufferedBytes ?? 1 << 20;
  const stream = new PassThrough();
  let replaying = true;
  const held: OutboxEvent[] = [];
  const replayed = new Set<string>();

  const send = (event: OutboxEvent) => {
    const { event: name, data } = format(event);
    stream.write(frame(event.id, name, data));
    if (stream.writableLength > maxBuffered) close();
  };
  // Subscribe before reading the backlog, so nothing committed in between is lost.
  const unsubscribe = bus.subscribe((event) => (replaying ? held.push(event) : send(event)), filter);
  const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
  let unwatch = () => {};
  const close = () => {
    clearInterval(heartbeat);
    unsubscribe();
    unwatch();
    stream.end();
  };
  if (options.closeWhen) unwatch = options.closeWhen(close);
  signal.addEventListener('abort', close, { once: true });
  stream.on('close', close);

  stream.write('retry: 3000\n\n');
  const replay = async () => {
    if (options.lastEventId !== undefined) {
      for (const event of await options.backlog(options.lastEventId)) {
        replayed.add(event.id);
        send(event);
      }
    }
    replaying = false;
    // Live events that arrived during the replay, minus those the replay already sent.
    for (const event of held.splice(0)) if (!replayed.has(event.id)) send(event);
  };
  replay().catch(() => close());
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
    body: stream,
  };
}
