import type { SqlQuery } from '../db/sql-handles.ts';

/** Rows removed per statement: a round never holds locks on, or writes WAL for, a whole table at once. */
const batchSize = 5000;

/**
 * Retention of the event outbox and of webhook history: delivered deliveries older than `days`,
 * then events older than that which no delivery refers to any more. Failed and pending deliveries
 * stay (they can still be replayed or delivered), and so do their events. A subscriber resuming an
 * SSE stream (Last-Event-ID) from before the window misses what was removed, as with any log.
 * Runs in batches until a batch comes back short; returns what it removed.
 */
export async function pruneOutbox(query: SqlQuery, days: number): Promise<{ deliveries: number; events: number }> {
  const deliveries = await deleteInBatches(
    query,
    `DELETE FROM webhook_delivery WHERE id IN (
       SELECT id FROM webhook_delivery WHERE status = 'delivered' AND created_at < now() - make_interval(days => ?) LIMIT ?)`,
    days,
  );
  const events = await deleteInBatches(
    query,
    `DELETE FROM event_outbox WHERE id IN (
       SELECT e.id FROM event_outbox e
       WHERE e.created_at < now() - make_interval(days => ?)
         AND NOT EXISTS (SELECT 1 FROM webhook_delivery d WHERE d.event_id = e.id)
       ORDER BY e.created_at LIMIT ?)`,
    days,
  );
  return { deliveries, events };
}

/** Runs `deletion` (its parameters: the days, then the batch size) until a batch comes back short; the rows removed. */
async function deleteInBatches(query: SqlQuery, deletion: string, days: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const [row] = await query<{ n: number }>(`WITH gone AS (${deletion} RETURNING 1) SELECT count(*)::int AS n FROM gone`, [days, batchSize]);
    removed += row.n;
    if (row.n < batchSize) return removed;
  }
}
