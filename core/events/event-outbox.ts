import { notifiesAtCommit } from '../db/notifying-commit.ts';
import type { Tx } from '../db/sql-handles.ts';
import { AppError } from '../errors/app-error.ts';
import type { EventDeclaration } from '../plugin-api/types.ts';
import type { AjvSchemaValidator } from '../validation/schema-validator.ts';

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

/** An event as just written, for the work that must happen in the publishing transaction too. */
export interface PublishedEvent {
  id: string;
  topic: string;
  tenantId: string | null;
  /** As published: mutation observers (audit) record security events' details. */
  payload?: unknown;
}

/**
 * Runs in the publishing transaction after the events are written, once per publish with all of
 * its events, so that what follows from an event (webhook deliveries) commits or rolls back with it.
 */
export type PublishHook = (tx: Tx, events: PublishedEvent[]) => Promise<void>;

/**
 * A data-modifying statement that runs inside every publish's own statement, as a CTE reading the
 * new events from `e` (id, topic, tenant_id): what follows from every event (webhook deliveries)
 * then costs no round trip of its own.
 */
export type PublishStatement = string;

type Row = { id: string; topic: string; tenant_id: string | null; payload: unknown; created_at: Date };

export const fromRow = (row: Row): OutboxEvent => ({
  id: String(row.id),
  topic: row.topic,
  tenantId: row.tenant_id,
  payload: row.payload,
  createdAt: new Date(row.created_at).toISOString(),
});

/**
 * A notification names the events a transaction wrote: ids and runs of consecutive ids
 * (`17,20-518`). The runs are those of one statement's own ids, so a run never covers another
 * transaction's event. One notification per event cost a mass outage most of its time: at
 * 1,000 events a batch, sending, queueing and receiving them took more CPU (server and
 * PostgreSQL) than the status changes and outbox rows together.
 */
export function eventIdsOf(payload: string): string[] {
  const ids: string[] = [];
  for (const part of payload.split(',')) {
    const dash = part.indexOf('-');
    if (dash < 0) {
      if (/^\d+$/.test(part)) ids.push(part);
      continue;
    }
    const lo = part.slice(0, dash);
    const hi = part.slice(dash + 1);
    if (!/^\d+$/.test(lo) || !/^\d+$/.test(hi)) continue;
    for (let id = BigInt(lo), last = BigInt(hi); id <= last; id++) ids.push(id.toString());
  }
  return ids;
}

/**
 * The outbox rows of many events, and their notifications: the new ids grouped into runs of
 * consecutive ids (gaps and islands), 150 runs per notification (at most about 6,000 bytes, under
 * NOTIFY's 8,000). The scalar subquery makes PostgreSQL send them once, before the rows return.
 */
const publishManySql = (statements: string) => `
  WITH e AS (
    INSERT INTO event_outbox (topic, tenant_id, payload)
    SELECT x.e->>'topic', x.e->>'tenant_id', x.e->'payload' FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS x(e, n)
    ORDER BY x.n
    RETURNING id, topic, tenant_id
  )${statements}, runs AS (
    SELECT min(id) AS lo, max(id) AS hi FROM (SELECT id, id - row_number() OVER (ORDER BY id) AS island FROM e) i GROUP BY island
  ), notified AS (
    SELECT pg_notify('${eventChannel}', string_agg(CASE WHEN lo = hi THEN lo::text ELSE lo || '-' || hi END, ',' ORDER BY lo))
    FROM (SELECT lo, hi, (row_number() OVER (ORDER BY lo) - 1) / 150 AS chunk FROM runs) c GROUP BY chunk
  )
  SELECT id, topic, tenant_id, (SELECT count(*) FROM notified) AS notifications FROM e ORDER BY id`;

const publishOneSql = (statements: string) => `
  WITH e AS (INSERT INTO event_outbox (topic, tenant_id, payload) VALUES (?, ?, ?) RETURNING id, topic, tenant_id)${statements}
  SELECT id, pg_notify('${eventChannel}', id::text) FROM e`;

/**
 * Publishing writes the event into the outbox inside the caller's transaction and queues a NOTIFY
 * with its id: PostgreSQL delivers notifications only on commit and in commit order, so a rolled
 * back change publishes nothing and every node sees events in the order they became true.
 */
export class EventOutbox {
  private readonly hooks: PublishHook[] = [];
  private readonly statements: PublishStatement[] = [];
  /** The two publishing statements, with the publish statements as CTEs after `e`. */
  private manySql = publishManySql('');
  private oneSql = publishOneSql('');

  constructor(
    /** The declaration of a topic by a loaded plugin or the core, or undefined. */
    private readonly declarationOf: (topic: string) => EventDeclaration | undefined,
    private readonly validator: AjvSchemaValidator,
  ) {}

  /** Features that act on every event (webhooks) register here; the outbox does not know them. */
  onPublish(hook: PublishHook): void {
    this.hooks.push(hook);
  }

  /** As `onPublish`, for work that is one statement over the new events: see `PublishStatement`. */
  onPublishStatement(statement: PublishStatement): void {
    this.statements.push(statement);
    const ctes = this.statements.map((sql, i) => `, published_${i} AS (${sql})`).join('');
    this.manySql = publishManySql(ctes);
    this.oneSql = publishOneSql(ctes);
  }

  private async published(tx: Tx, events: PublishedEvent[]): Promise<void> {
    for (const hook of this.hooks) await hook(tx, events);
  }

  private check(event: EventToPublish): void {
    const declaration = this.declarationOf(event.topic);
    if (!declaration) throw new AppError('internal', `event topic ${event.topic} is not declared by any loaded plugin`);
    if (declaration.payloadSchema) this.validator.assert(declaration.payloadSchema, event.payload, `payload of ${event.topic}`);
  }

  /**
   * Many events in one statement, whatever their number: the outbox rows (ids in the given order)
   * and a NOTIFY per 150 runs of consecutive ids (`publishManySql`), not one per event; then the
   * publish hooks with all of them. For mass changes (a fleet of heartbeats going down at once),
   * where one publish per event would cost a round trip each.
   */
  async publishMany(tx: Tx, events: EventToPublish[]): Promise<string[]> {
    if (events.length === 0) return [];
    for (const event of events) this.check(event);
    notifiesAtCommit(tx);
    const rows = await tx.query<{ id: string; topic: string; tenant_id: string | null }>(this.manySql, [
      JSON.stringify(events.map((e) => ({ topic: e.topic, tenant_id: e.tenantId ?? null, payload: e.payload }))),
    ]);
    await this.published(
      tx,
      rows.map((r, i) => ({ id: String(r.id), topic: r.topic, tenantId: r.tenant_id, payload: events[i]?.payload })),
    );
    return rows.map((r) => String(r.id));
  }

  async publish(tx: Tx, event: EventToPublish): Promise<string> {
    this.check(event);
    notifiesAtCommit(tx);
    const [row] = await tx.query<{ id: string }>(this.oneSql, [event.topic, event.tenantId ?? null, JSON.stringify(event.payload)]);
    await this.published(tx, [{ id: String(row.id), topic: event.topic, tenantId: event.tenantId ?? null, payload: event.payload }]);
    return String(row.id);
  }
}
