import { type EventsService, eventStreamResponse, type OperationResponse, type PlatformEvent } from '../../../core/plugin-api/index.ts';

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

/**
 * A Server-Sent Events stream of a status page: a snapshot of every component, then live changes,
 * with keep-alive comments. State, not history: a client that reconnects gets a fresh snapshot, so
 * no Last-Event-ID replay is needed. The platform's stream subscribes before the snapshot is read
 * and sends what arrived meanwhile after it; every change carries the absolute status, so a change
 * already in the snapshot is harmless when sent again.
 */
export function statusStream(options: StatusStreamOptions): OperationResponse {
  return eventStreamResponse({
    events: options.events,
    filter: { tenantId: options.tenantId, topics: options.topics },
    signal: options.signal,
    format: options.format,
    prelude: async (send) => {
      send({ event: 'snapshot', data: await options.snapshot() });
      return undefined;
    },
    heartbeatMs: options.heartbeatMs,
    maxBufferedBytes: options.maxBufferedBytes ?? 256 * 1024,
    onClose: options.onClose,
    // The public page's stream is read by browsers from anywhere.
    headers: { 'x-content-type-options': 'nosniff' },
  });
}
