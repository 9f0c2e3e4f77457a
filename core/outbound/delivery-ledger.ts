import type { JobService } from '../jobs/job-service.ts';
import type { Logger } from '../logging/logger.ts';
import type { SqlQuery as Query } from '../db/sql-handles.ts';

/** The receiver's Retry-After in seconds, when it sent a usable one. */
export function retryAfterSeconds(headers: Record<string, string | string[] | undefined>): number | undefined {
  const value = Number(headers['retry-after']);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** A delivery row as read: its id and its tenant, the job's concurrency group (see `deliveryWorkers`). */
type DeliveryRow = { id: string; tenant_id: string };

/**
 * Queues the job of a delivery row; `startAfterSeconds` delays a retry. `many`, where the queue
 * offers it, queues the jobs of many rows due now in one statement.
 */
export interface QueueDelivery {
  (id: string, options: { tenantId: string; startAfterSeconds?: number }): Promise<unknown>;
  many?(rows: DeliveryRow[]): Promise<unknown>;
}

/** The deliveries of a job queue whose payload names the row as `{ [idField]: id }`; `many` is one pg-boss insert. */
export function jobQueueDelivery(
  jobs: Pick<JobService, 'send' | 'sendMany'>,
  queue: string,
  idField: string,
): QueueDelivery & { many(rows: DeliveryRow[]): Promise<unknown> } {
  return Object.assign(
    (id: string, { tenantId, startAfterSeconds }: { tenantId: string; startAfterSeconds?: number }) =>
      jobs.send(queue, { [idField]: id }, { startAfterSeconds, group: tenantId }),
    {
      many: (rows: DeliveryRow[]) =>
        jobs.sendMany(
          queue,
          rows.map((row) => ({ payload: { [idField]: row.id }, group: row.tenant_id })),
        ),
    },
  );
}

/** Rows queued per statement by `queueEach`. */
const queueChunk = 500;

/**
 * Queues a job for each row due now (a kick, a sweep, a replay): through `send.many` a chunk at a
 * time when it is there (a mass outage's deliveries were one INSERT each), else one by one. Once
 * `signal` aborts (the node stops) the rest stay pending for the sweep of a node still running.
 */
export async function queueEach(send: QueueDelivery, rows: DeliveryRow[], signal?: AbortSignal): Promise<void> {
  const step = send.many ? queueChunk : 1;
  for (let i = 0; i < rows.length; i += step) {
    if (signal?.aborted) return;
    const chunk = rows.slice(i, i + step);
    if (send.many) await send.many(chunk);
    else await send(chunk[0].id, { tenantId: chunk[0].tenant_id });
  }
}

/**
 * How deliveries are worked on each node: this many at once, at most `perGroup` of them for one
 * tenant, so a workspace whose receivers hang until the deadline holds two slots, not all of them.
 */
export const deliveryWorkers = { concurrency: 8, perGroup: 2 };

/**
 * Settles attempts of outbound deliveries (webhook deliveries, alert notifications): rows with
 * status, last_status_code, last_error, claimed_until, next_attempt_at and updated_at. A retry waits
 * the receiver's Retry-After or base × 2^(attempt−1) seconds (at most an hour) and queues the next
 * attempt; past the last attempt the row fails with the reason.
 */
export class DeliveryLedger {
  constructor(
    private readonly options: {
      query: Query;
      table: 'webhook_delivery' | 'alert_notification';
      succeededStatus: string;
      /** Column stamped when the attempt succeeds, if the table has one. */
      succeededAtColumn?: string;
      maxAttempts: number;
      retryBaseSeconds: number;
      send: QueueDelivery;
      logger: Logger;
    },
  ) {}

  succeed(id: string, code: number): Promise<void> {
    return this.settle(id, this.options.succeededStatus, code, null);
  }

  fail(id: string, code: number | null, error: string): Promise<void> {
    return this.settle(id, 'failed', code, error);
  }

  async retryOrFail(id: string, attempts: number, code: number | null, error: string, retryAfter?: number): Promise<void> {
    const { query, table, maxAttempts, retryBaseSeconds, send, logger } = this.options;
    if (attempts >= maxAttempts) return this.fail(id, code, `${error} (gave up after ${attempts} attempts)`);
    const delay = Math.min(3600, retryAfter ?? retryBaseSeconds * 2 ** (attempts - 1));
    const [row] = await query<{ tenant_id: string }>(
      `UPDATE ${table} SET last_status_code = ?, last_error = ?, claimed_until = NULL, next_attempt_at = now() + make_interval(secs => ?), updated_at = now()
       WHERE id = ? RETURNING tenant_id`,
      [code, error, delay, id],
    );
    if (!row) return;
    logger.debug({ table, id, attempts, delay }, 'delivery will be retried');
    await send(id, { tenantId: row.tenant_id, startAfterSeconds: delay });
  }

  /**
   * Gives back a row whose attempt this node abandoned because it is stopping (the job's signal
   * aborted while the receiver had not answered): the attempt is not counted against the receiver and
   * the row is due at once, for another node or this one after its restart, instead of staying
   * claimed for a minute. Queuing may fail once the queue is closing; the sweep sends it then.
   */
  async release(id: string): Promise<void> {
    const { query, table, send, logger } = this.options;
    const [row] = await query<{ tenant_id: string }>(
      `UPDATE ${table} SET attempts = greatest(attempts - 1, 0), claimed_until = NULL, next_attempt_at = now(),
         last_error = 'the attempt was abandoned when its node stopped', updated_at = now()
       WHERE id = ? AND status = 'pending' RETURNING tenant_id`,
      [id],
    );
    if (!row) return;
    await send(id, { tenantId: row.tenant_id }).catch((error: unknown) =>
      logger.warn({ err: error, table, id }, 'a delivery given back on stopping could not be queued; the sweep sends it'),
    );
  }

  /**
   * Sends settled rows again (a replay): each goes back to pending with a fresh set of attempts and
   * keeps its id, so the receiver sees the same delivery id. Rows still pending are left alone (their
   * job is on its way). Returns the rows as reopened, read before their jobs are sent: once sent, a
   * worker may already have attempted one.
   */
  async reopen<Row extends { id: string; tenant_id: string } = { id: string; tenant_id: string }>(ids: string[]): Promise<Row[]> {
    if (ids.length === 0) return [];
    const { query, table, send } = this.options;
    const rows = await query<Row>(
      `UPDATE ${table} SET status = 'pending', attempts = 0, claimed_until = NULL, next_attempt_at = now(), updated_at = now()
       WHERE id = ANY(?::uuid[]) AND status <> 'pending' RETURNING *`,
      [`{${ids.join(',')}}`],
    );
    await queueEach(send, rows);
    return rows;
  }

  private async settle(id: string, status: string, code: number | null, error: string | null): Promise<void> {
    const { query, table, succeededStatus, succeededAtColumn } = this.options;
    const stamp = succeededAtColumn && status === succeededStatus ? `, ${succeededAtColumn} = now()` : '';
    await query(`UPDATE ${table} SET status = ?, last_status_code = ?, last_error = ?, claimed_until = NULL, updated_at = now()${stamp} WHERE id = ?`, [
      status,
      code,
      error,
      id,
    ]);
  }
}
