import { PassThrough } from 'node:stream';
import { AppError, type EventsService, type OperationRequest, type OperationResponse, type PlatformEvent } from '../../../core/plugin-api/index.ts';
import { containerEvents } from './container-events.ts';

/** Every topic of the seed's event table for containers, resources and updates (endpoint, heartbeat and certificate events have their own plugin parts but belong to the same table). */
export const streamedTopics: ReadonlySet<string> = new Set([
  ...containerEvents.map((e) => e.topic),
  'resource.snapshot',
  'resource.alert',
  'resource.recovery',
  'update.scan_started',
  'update.scan_completed',
  'update.detected',
  'update.pinned',
  'update.unpinned',
  'endpoint.check_result',
  'endpoint.alert',
  'endpoint.recovery',
  'heartbeat.pinged',
  'heartbeat.deadline_missed',
  'certificate.alert',
  'certificate.recovery',
]);

const frame = (event: PlatformEvent) =>
  `id: ${event.id}\nevent: ${event.topic}\ndata: ${JSON.stringify({ type: event.topic, data: event.payload, at: event.createdAt })}\n\n`;

/**
 * `GET /api/v1/containers/events`: the workspace's events of the seed's table as Server-Sent Events,
 * each named by its type with `{type, data, at}` as data, live from the event bus (committed events
 * only), keep-alive comments every 15 s, `?types=` to narrow. A client that stops reading is cut off.
 */
export function containerEventStream(deps: { events: EventsService; maxStreams?: number }) {
  let open = 0;
  return function streamContainerEvents(req: OperationRequest<unknown, Record<string, string>, { types?: string }>): OperationResponse {
    if (!req.tenantId) throw new AppError('not_found', 'No workspace');
    const asked = req.query.types
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = asked?.filter((t) => !streamedTopics.has(t)) ?? [];
    if (unknown.length > 0)
      throw new AppError('validation_failed', `Unknown event types: ${unknown.join(', ')}`, {
        details: [{ path: '/query/types', message: `must name types of ${[...streamedTopics].join(', ')}` }],
      });
    if (open >= (deps.maxStreams ?? 1000))
      throw new AppError('unavailable', 'This server holds as many event streams as it allows; retry later', { headers: { 'retry-after': '10' } });
    open += 1;
    const stream = new PassThrough();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      open -= 1;
      clearInterval(keepAlive);
      unsubscribe();
      stream.end();
    };
    const unsubscribe = deps.events.subscribe(
      (event) => {
        if (closed) return;
        stream.write(frame(event));
        if (stream.writableLength > 1 << 20) close();
      },
      { tenantId: req.tenantId, topics: asked ? new Set(asked) : streamedTopics },
    );
    const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), 15_000);
    req.signal.addEventListener('abort', close, { once: true });
    stream.on('close', close);
    stream.write('retry: 3000\n\n');
    return {
      status: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
      body: stream,
    };
  };
}
