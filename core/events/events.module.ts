import { coreFragments } from '../contract/core-fragments.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import { likePattern, listEnvelope, parseListQuery } from '../lists/list-query.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import type { EventBus } from './event-bus.ts';
import { fromRow } from './event-outbox.ts';
import { sseResponse } from './sse-stream.ts';
import { eventIterator } from './event-iterator.ts';
import type { GraphQLContext } from '../plugin-api/index.ts';
import type { DatabaseService, SqlQuery as Query } from '../db/sql-handles.ts';
import { type AccessChange, accessChangedTopic, mayAffect } from '../auth/access-change.ts';

const accessChanges = new Set([accessChangedTopic]);

type Row = { id: string; topic: string; tenant_id: string | null; payload: unknown; created_at: Date; total?: string };

export const eventPermissions: NonNullable<CoreModule['permissions']> = [
  { name: 'events:read', description: 'Read the workspace’s events (outbox and live stream)' },
];

/**
 * The workspace's event outbox and its live stream (SSE). Reads run as the request's workspace
 * (`forTenant`): row-level security holds the tenant condition, and hides events without a tenant.
 */
export function eventsModule(deps: { bus: EventBus; database: Pick<DatabaseService, 'forTenant'> }): CoreModule {
  const { bus } = deps;
  const sqlOf = (tenantId: string): Query => deps.database.forTenant(tenantId).query;
  return {
    id: 'events',
    openapi: coreFragments.events,
    permissions: eventPermissions,
    policies: ['ops_engineer', 'viewer', 'integration_admin'].map((role) => ({ role, permission: 'events:read' })),
    sdl: `
      type PlatformEvent { id: ID! topic: String! tenantId: String payload: JSON createdAt: DateTime! }
      extend type Subscription {
        "Events of the workspace as they commit (needs events:read); optionally only some topics."
        events(topics: [String!]): PlatformEvent!
        "The license changed (seed 001: license:updated); needs edition:read."
        licenseUpdated: PlatformEvent!
        "ticket:created events of the workspace (seed 001), as the ticketing plugin publishes them; needs events:read."
        ticketCreated: PlatformEvent!
        "ticket:updated events of the workspace (seed 001); needs events:read."
        ticketUpdated: PlatformEvent!
        "ticket:deleted events of the workspace (seed 001); needs events:read."
        ticketDeleted: PlatformEvent!
      }`,
    resolvers: [
      {
        owner: 'core',
        typeName: 'Subscription',
        fieldName: 'events',
        resolver: {
          subscribe: async (_parent: unknown, args: { topics?: string[] }, context: GraphQLContext) => {
            const tenantId = (await context.authorize('events:read')) as string;
            return eventIterator(bus, { tenantId, topics: args.topics?.length ? new Set(args.topics) : undefined });
          },
          resolve: (event: unknown) => event,
        },
      },
      // Seed 001's ticket events have their fields here, whichever plugin publishes them.
      ...(
        [
          ['ticketCreated', 'ticket:created'],
          ['ticketUpdated', 'ticket:updated'],
          ['ticketDeleted', 'ticket:deleted'],
        ] as const
      ).map(([fieldName, topic]) => ({
        owner: 'core',
        typeName: 'Subscription',
        fieldName,
        resolver: {
          subscribe: async (_parent: unknown, _args: unknown, context: GraphQLContext) => {
            const tenantId = (await context.authorize('events:read')) as string;
            return eventIterator(bus, { tenantId, topics: new Set([topic]) });
          },
          resolve: (event: unknown) => event,
        },
      })),
      {
        owner: 'core',
        typeName: 'Subscription',
        fieldName: 'licenseUpdated',
        resolver: {
          subscribe: async (_parent: unknown, _args: unknown, context: GraphQLContext) => {
            await context.authorize('edition:read');
            return eventIterator(bus, { topics: new Set(['license:updated']) });
          },
          resolve: (event: unknown) => event,
        },
      },
    ],
    handlers: {
      streamEvents(req: OperationRequest<unknown, Record<string, string>, { topics?: string }>) {
        const tenantId = req.tenantId as string;
        const topics = req.query.topics ? new Set(req.query.topics.split(',')) : undefined;
        const lastEventId = req.headers['last-event-id'] as string | undefined;
        return sseResponse({
          bus,
          filter: { tenantId, topics },
          lastEventId,
          signal: req.signal,
          // Every node hears a revocation through the bus: a stream whose principal may have lost
          // access ends; its client reconnects (with Last-Event-ID) and is authorized afresh.
          closeWhen: (close) => bus.subscribe((event) => mayAffect(event.payload as AccessChange, req.principal) && close(), { topics: accessChanges }),
          backlog: async (afterId) => {
            const rows = await sqlOf(tenantId)<Row>(
              `SELECT id, topic, tenant_id, payload, created_at FROM event_outbox
               WHERE id > ? ${topics ? "AND topic = ANY(string_to_array(?, ','))" : ''} ORDER BY id LIMIT 10000`,
              [afterId, ...(topics ? [[...topics].join(',')] : [])],
            );
            return rows.map(fromRow);
          },
        });
      },
      async listOutboxEvents(req) {
        const list = parseListQuery<'id' | 'topic' | 'createdAt'>(
          { sortOrder: 'desc', ...req.query },
          { sortable: { id: 'id', topic: 'topic', createdAt: 'created_at' }, defaultSort: 'id' },
        );
        const topic = req.query.topic as string | undefined;
        const conditions = [...(topic ? ['topic = ?'] : []), ...(list.q ? ["(topic ILIKE ? ESCAPE '\\' OR payload::text ILIKE ? ESCAPE '\\')"] : [])];
        const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
        const query = sqlOf(req.tenantId as string);
        const params = [...(topic ? [topic] : []), ...(list.q ? [likePattern(list.q), likePattern(list.q)] : [])];
        // Page the events first, then count their deliveries; bare ORDER BY names resolve to the output columns.
        const [rows, [count]] = await Promise.all([
          query<Row & { pending: string; delivered: string; failed: string }>(
            `SELECT e.id, e.topic, e.tenant_id, e.payload, e.created_at,
                    count(*) FILTER (WHERE d.status = 'pending') AS pending,
                    count(*) FILTER (WHERE d.status = 'delivered') AS delivered,
                    count(*) FILTER (WHERE d.status = 'failed') AS failed
             FROM (SELECT * FROM event_outbox ${where} ORDER BY ${list.orderBy}, id DESC LIMIT ? OFFSET ?) e
             LEFT JOIN webhook_delivery d ON d.event_id = e.id
             GROUP BY e.id, e.topic, e.tenant_id, e.payload, e.created_at
             ORDER BY ${list.orderBy}, id DESC`,
            [...params, list.limit, list.offset],
          ),
          query<{ count: string }>(`SELECT count(*) FROM event_outbox ${where}`, params),
        ]);
        const data = rows.map((row) => ({
          ...fromRow(row),
          deliveries: { pending: Number(row.pending), delivered: Number(row.delivered), failed: Number(row.failed) },
        }));
        return listEnvelope(data, Number(count.count), list, topic ? { topic } : {});
      },
    },
  };
}
