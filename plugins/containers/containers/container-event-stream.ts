import {
  AppError,
  type EventsService,
  eventStreamResponse,
  type OperationRequest,
  type OperationResponse,
  type PlatformEvent,
} from '../../../core/plugin-api/index.ts';
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

const frame = (event: PlatformEvent) => ({ id: event.id, event: event.topic, data: { type: event.topic, data: event.payload, at: event.createdAt } });

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
    return eventStreamResponse({
      events: deps.events,
      filter: { tenantId: req.tenantId, topics: asked ? new Set(asked) : streamedTopics },
      signal: req.signal,
      format: frame,
      onClose: () => {
        open -= 1;
      },
    });
  };
}
