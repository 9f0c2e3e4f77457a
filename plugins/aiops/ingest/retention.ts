import type { PlatformDatabase } from '../../../core/plugin-api/index.ts';
import type { PointPartitions } from './point-partitions.ts';
import { aheadMs, recentWindowMs } from './point-store.ts';

/** Inboxes emptied per statement, so that an hour of batches is not one long transaction. */
const inboxesPerStatement = 5000;

/**
 * The hourly retention job: daily point partitions past the retention are dropped whole; scored
 * batches' inboxes are emptied once RCA's window has passed them; batch rows outlive their points
 * a little (this month's and last month's usage count them) and go once the watchdog is done with
 * them.
 */
export async function pruneTelemetry(partitions: PointPartitions, platform: PlatformDatabase, now: Date, retentionDays: number): Promise<string[]> {
  const dropped = await partitions.dropOlderThan(now, retentionDays);
  const inboxCutoff = new Date(now.getTime() - recentWindowMs - aheadMs).toISOString();
  for (;;) {
    const emptied = await platform.query<{ id: string }>(
      `UPDATE aiops_ingest_batch SET inbox_services = NULL, inbox_metrics = NULL, inbox_times = NULL, inbox_values = NULL
        WHERE id IN (SELECT id FROM aiops_ingest_batch WHERE scored_at IS NOT NULL AND inbox_services IS NOT NULL AND received_at < ? LIMIT ?)
        RETURNING id`,
      [inboxCutoff, inboxesPerStatement],
    );
    if (emptied.length < inboxesPerStatement) break;
  }
  await platform.query(
    'DELETE FROM aiops_ingest_batch WHERE received_at < ?::timestamptz - make_interval(days => ?) AND (scored_at IS NOT NULL OR points = 0)',
    [now.toISOString(), Math.max(retentionDays, 62)],
  );
  return dropped;
}
