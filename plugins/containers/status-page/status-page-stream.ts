import { PassThrough } from 'node:stream';
import type { EventsService, OperationResponse, PlatformEvent } from '../../../core/plugin-api/index.ts';

export interface StatusStreamOptions {
  events: EventsService;
  tenantId: string;
  signal: AbortSignal;
  /** The page's current state, sent first on every connection (so a reconnect needs no replay). */
  snapshot: () => Promise<unknown>;
  /** How a live event is written; undefined drops it. */
  format: (event: PlatformEvent) => { event: string; data: unknown } | undefined;
  topics: ReadonlySet<string>;
  heartbeatMs?: number;
  /** Bytes a slow client may fall behind before it is cut off (it reconnects and gets a snapshot). */
  maxBufferedBytes?: number;
  onClose?: () => void;
}

const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * A Server-Sent Events stream of a status page: a snapshot of every component, then live changes,
 * with keep-alive comments. State, not history: a client that reconnects gets a fresh snapshot, so
 * no Last-Event-ID replay is needed. Subscribes before reading the snapshot and sends what arrived
 * meanwhile after it; every change carries the absolute status, so a change already in the
 * snapshot is harmless when sent again.
 */
export function statusStream(options: StatusStreamOptions): OperationResponse {
  const stream = new PassThrough();
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
  let held: PlatformEvent[] | undefined = [];
  let closed = false;
  const send = (event: PlatformEvent) => {
    const formatted = options.format(event);
    if (!formatted) return;
    stream.write(frame(formatted.event, formatted.data));
    if (stream.writableLength > maxBuffered) close();
  };
  const receive = (event: PlatformEvent) => {
    if (!held) send(event);
    else if (held.length < 10_000) held.push(event);
    else close();
  };
  const unsubscribe = options.events.subscribe(receive, { tenantId: options.tenantId, topics: options.topics });
  const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    unsubscribe();
    stream.end();
    options.onClose?.();
  };
  options.signal.addEventListener('abort', close, { once: true });
  stream.on('close', close);
  stream.write('retry: 3000\n\n');
  options
    .snapshot()
    .then((snapshot) => {
      if (closed) return;
      stream.write(frame('snapshot', snapshot));
      const pending = held ?? [];
      held = undefined;
      for (const event of pending) send(event);
    })
    .catch(() => close());
  return {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    },
    body: stream,
  };
}
