import type { PlatformDatabase } from '../../../core/plugin-api/index.ts';

/**
 * The workspace's `events_this_month` (seed 002's tenant list) counts the points and events stored
 * since the start of the UTC month. Counting it in the ingest transaction would make every batch
 * of a workspace wait on one row lock; instead a periodic round (one node at a time) writes the
 * sum of the month's batches, which also resets the figure when a month begins.
 */
export async function rollUpMonthlyUsage(platform: PlatformDatabase, now: Date): Promise<number> {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  const rows = await platform.query<{ tenant_id: string }>(
    `WITH usage AS (
       SELECT t.tenant_id, coalesce(sum(b.points + b.events), 0) AS n
         FROM tenant t LEFT JOIN aiops_ingest_batch b ON b.tenant_id = t.tenant_id AND b.received_at >= ?
        GROUP BY t.tenant_id)
     UPDATE tenant t SET events_this_month = usage.n FROM usage
      WHERE t.tenant_id = usage.tenant_id AND t.events_this_month <> usage.n
     RETURNING t.tenant_id`,
    [monthStart],
  );
  return rows.length;
}
