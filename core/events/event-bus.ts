import pg from 'pg';
import type { Logger } from '../logging/logger.ts';
import { eventChannel, fromRow, type OutboxEvent } from './event-outbox.ts';
import type { SqlQuery as Query } from '../db/sql-handles.ts';

export interface EventFilter {
  tenantId?: string;
  topics?: ReadonlySet<string>;
}

type Subscriber = { filter: EventFilter; handler: (event: OutboxEvent) => void };

/**
 * Every node LISTENs on one channel; a notification carries an event id, the node reads the event
 * from the outbox and hands it to its local subscribers (GraphQL subscriptions, SSE streams,
 * plugins) in commit order. After a lost connection it catches up from the last id it delivered.
 */
export class EventBus {
  private client?: pg.Client;
  private readonly subscribers = new Set<Subscriber>();
  private pending: string[] = [];
  private draining: Promise<void> = Promise.resolve();
  private lastId = 0n;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly query: Query,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    // LISTEN before reading where the outbox ends: an event committed in between is then notified
    // rather than lost.
    await this.connect();
    const [row] = await this.query<{ max: string | null }>('SELECT max(id) AS max FROM event_outbox');
    const max = BigInt(row.max ?? 0);
    if (max > this.lastId) this.lastId = max;
  }

  subscribe(handler: (event: OutboxEvent) => void, filter: EventFilter = {}): () => void {
    const subscriber = { filter, handler };
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.draining;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'itops-events' });
    client.on('notification', (message) => {
      if (message.channel !== eventChannel || !message.payload) return;
      this.pending.push(message.payload);
      this.drain();
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'event listener connection lost; reconnecting');
      this.scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${eventChannel}`);
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.client?.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = undefined;
      try {
        await this.connect();
        // Whatever committed while we were away: deliver it before new notifications.
        const missed = await this.query<{ id: string }>('SELECT id FROM event_outbox WHERE id > ? ORDER BY id', [this.lastId.toString()]);
        this.pending.unshift(...missed.map((r) => String(r.id)));
        this.drain();
      } catch (error) {
        this.logger.warn({ err: error }, 'event listener could not reconnect; retrying');
        this.scheduleReconnect();
      }
    }, 1000);
  }

  private drain(): void {
    this.draining = this.draining
      .then(async () => {
        while (this.pending.length > 0) {
          const ids = [...new Set(this.pending.splice(0, 500))].filter((id) => !this.seen(id));
          if (ids.length === 0) continue;
          const rows = await this.query<{ id: string; topic: string; tenant_id: string | null; payload: unknown; created_at: Date }>(
            // One string parameter: the ORM's driver would expand an array into a list of parameters.
            "SELECT id, topic, tenant_id, payload, created_at FROM event_outbox WHERE id = ANY(string_to_array(?, ',')::bigint[])",
            [ids.join(',')],
          );
          const byId = new Map(rows.map((r) => [String(r.id), r]));
          for (const id of ids) {
            const row = byId.get(id);
            if (!row) continue;
            const event = fromRow(row);
            if (BigInt(event.id) > this.lastId) this.lastId = BigInt(event.id);
            this.deliver(event);
          }
        }
      })
      .catch((error) => this.logger.error({ err: error }, 'event delivery failed'));
  }

  /** Delivers each id once, though a catch-up after reconnecting may list some again. */
  private readonly recent = new Set<string>();
  private seen(id: string): boolean {
    if (this.recent.has(id)) return true;
    this.recent.add(id);
    if (this.recent.size > 10_000) this.recent.delete(this.recent.values().next().value as string);
    return false;
  }

  private deliver(event: OutboxEvent): void {
    for (const { filter, handler } of this.subscribers) {
      if (filter.tenantId !== undefined && event.tenantId !== filter.tenantId) continue;
      if (filter.topics && !filter.topics.has(event.topic)) continue;
      try {
        handler(event);
      } catch (error) {
        this.logger.error({ err: error, topic: event.topic }, 'event subscriber failed');
      }
    }
  }
}
