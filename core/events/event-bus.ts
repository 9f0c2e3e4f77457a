import pg from 'pg';
import type { Logger } from '../logging/logger.ts';
import { eventChannel, eventIdsOf, fromRow, type OutboxEvent } from './event-outbox.ts';
import type { SqlQuery as Query } from '../db/sql-handles.ts';

/** A session's own pid and when it began (UTC, to the microsecond): what other nodes check it by (idempotency claims). */
export const ownSessionSql = `SELECT pid, to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "startedAt"
  FROM pg_stat_activity WHERE pid = pg_backend_pid()`;

export interface EventFilter {
  tenantId?: string;
  topics?: ReadonlySet<string>;
}

type Subscriber = { filter: EventFilter; handler: (event: OutboxEvent) => void };

/**
 * Every node LISTENs on one channel; a notification carries event ids, the node reads the events
 * from the outbox and hands it to its local subscribers (GraphQL subscriptions, SSE streams,
 * plugins) in commit order. After a lost connection it catches up from the last id it delivered.
 */
export class EventBus {
  private client?: pg.Client;
  /** The listener's session (pid and start) while it is connected. */
  private ownSession?: { pid: number; startedAt: string };
  private readonly subscribers = new Set<Subscriber>();
  private pending: string[] = [];
  private draining: Promise<void> = Promise.resolve();
  private lastId = 0n;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  /** Failed reconnects in a row: the wait doubles with each, up to half a minute. */
  private attempts = 0;

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
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, application_name: 'itops-events', keepAlive: true, connectionTimeoutMillis: 10_000 });
    client.on('notification', (message) => {
      if (message.channel !== eventChannel || !message.payload) return;
      // One event id, or a transaction's many as runs (`17,20-518`, see publishMany).
      const ids = eventIdsOf(message.payload);
      for (const id of ids) this.pending.push(id);
      if (ids.length > 0) this.drain();
    });
    // A server that goes away may close the socket with an error or without one (a killed
    // postmaster): either way this connection is done, and only the current one reconnects.
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.logger.warn({ err: error }, 'event listener connection lost; reconnecting');
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${eventChannel}`);
      this.ownSession = (await client.query<{ pid: number; startedAt: string }>(ownSessionSql)).rows[0];
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const previous = this.client;
    this.client = undefined;
    previous?.end().catch(() => undefined);
    const delay = Math.min(30_000, 1000 * 2 ** Math.min(this.attempts, 5));
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = undefined;
      if (this.stopped) return;
      try {
        await this.connect();
        // Whatever committed while we were away: deliver it before new notifications.
        const missed = await this.query<{ id: string }>('SELECT id FROM event_outbox WHERE id > ? ORDER BY id', [this.lastId.toString()]);
        this.attempts = 0;
        this.pending.unshift(...missed.map((r) => String(r.id)));
        this.drain();
      } catch (error) {
        this.attempts++;
        this.logger.warn({ err: error, attempt: this.attempts }, 'event listener could not reconnect; retrying');
        this.scheduleReconnect();
      }
    }, delay);
  }

  /** Whether this node hears the other nodes' commits right now (LISTEN connection up). */
  isListening(): boolean {
    return this.client !== undefined;
  }

  /**
   * The listener's database session (pid and start), which lives as long as this node does:
   * other nodes learn from PostgreSQL that this one is gone when it is (idempotency claims).
   */
  session(): { pid: number; startedAt: string } | undefined {
    return this.client ? this.ownSession : undefined;
  }

  private drain(): void {
    this.draining = this.draining
      .then(async () => {
        while (this.pending.length > 0) {
          // Marked seen only once delivered: a batch whose read fails is read again by the catch-up.
          const ids = [...new Set(this.pending.splice(0, 500))].filter((id) => !this.wasSeen(id));
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
            if (this.seen(id)) continue;
            const event = fromRow(row);
            if (BigInt(event.id) > this.lastId) this.lastId = BigInt(event.id);
            this.deliver(event);
          }
        }
      })
      .catch((error) => {
        // Most often the database went away between a notification and its read: start over from
        // the last delivered id once a connection is back, rather than dropping the batch.
        this.logger.warn({ err: error }, 'event delivery failed; catching up after reconnecting');
        this.pending = [];
        this.scheduleReconnect();
      });
  }

  /**
   * Delivers each id once, though a catch-up after reconnecting may list some again. Two
   * generations of about 10,000 ids each: dropping the oldest id of one Set one at a time made V8
   * walk the deleted entries at its front on every delivery (a third of the bus's time in a burst).
   */
  private recent = new Set<string>();
  private older = new Set<string>();
  private wasSeen(id: string): boolean {
    return this.recent.has(id) || this.older.has(id);
  }
  private seen(id: string): boolean {
    if (this.wasSeen(id)) return true;
    this.recent.add(id);
    if (this.recent.size >= 10_000) {
      this.older = this.recent;
      this.recent = new Set();
    }
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
