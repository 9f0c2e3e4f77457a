import type { DatabaseService, SqlQuery } from '../db/sql-handles.ts';
import type { JobService } from '../jobs/job-service.ts';

/** One pg-boss queue as the runtime sees it now. */
export interface QueueDepth {
  name: string;
  /** Waiting to run: ready now, deferred (start later) or blocked. */
  queued: number;
  ready: number;
  deferred: number;
  active: number;
  /** Failed jobs still kept (a rolling count, bounded by retention). */
  failed: number;
  /** Age of the oldest job still waiting to run, in seconds; null when none waits. */
  oldestQueuedAgeSeconds: number | null;
}

/** A job that failed for good (its retries spent). */
export interface FailedJob {
  id: string;
  queue: string;
  retryCount: number;
  createdAt: string;
  failedAt: string | null;
  error: string | null;
}

/** An outbox delivery (webhook) that gave up after its attempts. */
export interface FailedDelivery {
  id: string;
  subscriptionId: string;
  topic: string;
  eventId: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  failedAt: string;
}

/**
 * The job queue and the outbox deliveries, read and retried for an operator: queue depths are the
 * platform's (one pg-boss for every workspace); failures and their retries are a workspace's own.
 */
export interface RuntimeService {
  queues(): Promise<QueueDepth[]>;
  /** The workspace's failed jobs, newest first (jobs queued for it: its group or a `tenantId` in the payload). */
  failedJobs(tenantId: string, limit?: number): Promise<FailedJob[]>;
  /** Queues a failed job of the workspace again; false when it has no such failed job. */
  retryJob(tenantId: string, id: string): Promise<boolean>;
  /** The workspace's failed webhook deliveries, newest first. */
  failedDeliveries(tenantId: string, limit?: number): Promise<FailedDelivery[]>;
  /** Delivers a failed delivery of the workspace again (same webhook-id, fresh attempts); false when there is none. */
  retryDelivery(tenantId: string, id: string): Promise<boolean>;
}

const iso = (value: Date | string | null) => (value ? new Date(value).toISOString() : null);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * pg-boss keeps its jobs in its own schema, outside row-level security, so the workspace's jobs are
 * picked by the tenant the platform queued them for (the job's group, or the payload's `tenantId`):
 * the one place where the tenant condition is written by hand. Deliveries go through the
 * workspace's handle as everything else.
 */
export class RuntimeInspector implements RuntimeService {
  constructor(
    private readonly deps: {
      /** Owner-level SQL: pg-boss's tables. */
      query: SqlQuery;
      database: Pick<DatabaseService, 'forTenant'>;
      jobs: Pick<JobService, 'queueCounts' | 'retryFailed'>;
      /** Reopens settled deliveries and queues them (the webhook engine's replay). */
      redeliver: (ids: string[]) => Promise<string[]>;
      schema?: string;
    },
  ) {}

  private get schema(): string {
    return this.deps.schema ?? 'pgboss';
  }

  async queues(): Promise<QueueDepth[]> {
    const counts = await this.deps.jobs.queueCounts();
    const oldest = await this.deps.query<{ name: string; age: number }>(
      `SELECT name, extract(epoch FROM now() - min(created_on))::float8 AS age
         FROM ${this.schema}.job WHERE state IN ('created', 'retry') GROUP BY name`,
    );
    const ages = new Map(oldest.map((row) => [row.name, Math.max(0, Math.round(row.age))]));
    return counts
      .map((queue) => ({
        name: queue.name,
        queued: queue.queuedCount,
        ready: queue.readyCount,
        deferred: queue.deferredCount,
        active: queue.activeCount,
        failed: queue.failedCount,
        oldestQueuedAgeSeconds: ages.get(queue.name) ?? null,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async failedJobs(tenantId: string, limit = 100): Promise<FailedJob[]> {
    const rows = await this.deps.query<{ id: string; name: string; retry_count: number; created_on: Date; completed_on: Date | null; output: unknown }>(
      `SELECT id, name, retry_count, created_on, completed_on, output FROM ${this.schema}.job
        WHERE state = 'failed' AND (group_id = ? OR data->>'tenantId' = ?)
        ORDER BY completed_on DESC NULLS LAST LIMIT ?`,
      [tenantId, tenantId, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      queue: row.name,
      retryCount: row.retry_count,
      createdAt: iso(row.created_on) as string,
      failedAt: iso(row.completed_on),
      error: errorOf(row.output),
    }));
  }

  async retryJob(tenantId: string, id: string): Promise<boolean> {
    if (!uuidPattern.test(id)) return false;
    const [job] = await this.deps.query<{ name: string }>(
      `SELECT name FROM ${this.schema}.job WHERE id = ? AND state = 'failed' AND (group_id = ? OR data->>'tenantId' = ?)`,
      [id, tenantId, tenantId],
    );
    if (!job) return false;
    return this.deps.jobs.retryFailed(job.name, id);
  }

  async failedDeliveries(tenantId: string, limit = 100): Promise<FailedDelivery[]> {
    const rows = await this.deps.database.forTenant(tenantId).query<{
      id: string;
      subscription_id: string;
      topic: string;
      event_id: string;
      attempts: number;
      last_status_code: number | null;
      last_error: string | null;
      updated_at: Date;
    }>(
      `SELECT id, subscription_id, topic, event_id::text, attempts, last_status_code, last_error, updated_at
           FROM webhook_delivery WHERE status = 'failed' ORDER BY updated_at DESC LIMIT ?`,
      [limit],
    );
    return rows.map((row) => ({
      id: row.id,
      subscriptionId: row.subscription_id,
      topic: row.topic,
      eventId: row.event_id,
      attempts: row.attempts,
      lastStatusCode: row.last_status_code,
      lastError: row.last_error,
      failedAt: iso(row.updated_at) as string,
    }));
  }

  async retryDelivery(tenantId: string, id: string): Promise<boolean> {
    if (!uuidPattern.test(id)) return false;
    // Found as the workspace (row-level security): another workspace's delivery is not there.
    const [found] = await this.deps.database
      .forTenant(tenantId)
      .query<{ id: string }>("SELECT id FROM webhook_delivery WHERE id = ? AND status = 'failed'", [id]);
    if (!found) return false;
    return (await this.deps.redeliver([found.id])).length > 0;
  }
}

function errorOf(output: unknown): string | null {
  if (output && typeof output === 'object' && 'message' in output) return String((output as { message: unknown }).message).slice(0, 2000);
  return output === null || output === undefined ? null : JSON.stringify(output).slice(0, 2000);
}
