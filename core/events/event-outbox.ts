import type { Tx } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { EventDeclaration } from '../plugin-api/index.ts';
import type { AjvSchemaValidator } from '../validation/schema-validator.ts';
import { fanOutSql } from '../webhooks/webhook-delivery.ts';

export const eventChannel = 'itops_events';

export interface OutboxEvent {
  id: string;
  topic: string;
  tenantId: string | null;
  payload: unknown;
  createdAt: string;
}

export interface EventToPublish {
  topic: string;
  tenantId?: string | null;
  payload: unknown;
}

type Row = { id: string; topic: string; tenant_id: string | null; payload: unknown; created_at: Date };

export const fromRow = (row: Row): OutboxEvent => ({
  id: String(row.id),
  topic: row.topic,
  tenantId: row.tenant_id,
  payload: row.payload,
  createdAt: new Date(row.created_at).toISOString(),
});

/**
 * Publishing writes the event into the outbox inside the caller's transaction and queues a NOTIFY
 * with its id: PostgreSQL delivers notifications only on commit and in commit order, so a rolled
 * back change publishes nothing and every node sees events in the order they became true.
 */
export class EventOutbox {
  constructor(
    private readonly topics: () => EventDeclaration[],
    private readonly validator: AjvSchemaValidator,
  ) {}

  private check(event: EventToPublish): void {
    const declaration = this.topics().find((t) => t.topic === event.topic);
    if (!declaration) throw new AppError('internal', `event topic ${event.topic} is not declared by any loaded plugin`);
    if (declaration.payloadSchema) this.validator.assert(declaration.payloadSchema, event.payload, `payload of ${event.topic}`);
  }

  /**
   * Many events in one transaction with three statements, whatever their number: the outbox rows
   * (ids in the given order), one NOTIFY each, and the webhook deliveries of all of them. For
   * mass changes (a fleet of heartbeats going down at once), where one publish per event would
   * cost a round trip each.
   */
  async publishMany(tx: Tx, events: EventToPublish[]): Promise<string[]> {
    if (events.length === 0) return [];
    for (const event of events) this.check(event);
    const rows = await tx.query<{ id: string }>(
      `WITH e AS (
         INSERT INTO event_outbox (topic, tenant_id, payload)
         SELECT x.e->>'topic', x.e->>'tenant_id', x.e->'payload' FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS x(e, n)
         ORDER BY x.n
         RETURNING id, topic, tenant_id
       ), d AS (
         INSERT INTO webhook_delivery (id, subscription_id, tenant_id, event_id, topic, status)
         SELECT gen_random_uuid(), s.id, s.tenant_id, e.id, e.topic, 'pending' FROM e
         JOIN webhook_subscription s ON s.tenant_id = e.tenant_id AND s.enabled AND (cardinality(s.topics) = 0 OR e.topic = ANY(s.topics))
       )
       SELECT id, pg_notify('${eventChannel}', id::text) FROM e ORDER BY id`,
      [JSON.stringify(events.map((e) => ({ topic: e.topic, tenant_id: e.tenantId ?? null, payload: e.payload })))],
    );
    return rows.map((r) => String(r.id));
  }

  async publish(tx: Tx, event: EventToPublish): Promise<string> {
    this.check(event);
    const [row] = await tx.query<{ id: string }>(
      `WITH e AS (INSERT INTO event_outbox (topic, tenant_id, payload) VALUES (?, ?, ?) RETURNING id)
         SELECT id, pg_notify('${eventChannel}', id::text) FROM e`,
      [event.topic, event.tenantId ?? null, JSON.stringify(event.payload)],
    );
    // Webhook deliveries are created with the event, so none is lost between commit and dispatch.
    if (event.tenantId) {
      await tx.query(fanOutSql, [row.id, event.topic, event.tenantId, event.topic]);
    }
    return String(row.id);
  }
}
