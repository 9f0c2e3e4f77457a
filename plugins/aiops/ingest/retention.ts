import type { PlatformDatabase } from '../../../core/plugin-api/index.ts';
import type { PointPartitions } from './point-partitions.ts';

/**
 * The hourly retention job: daily point partitions past the retention are dropped whole; batch
 * rows outlive their points a little (this month's and last month's usage count them) and go once
 * the watchdog is done with them.
 */
export async function pruneTelemetry(partitions: PointPartitions, platform: PlatformDatabase, now: Date, retentionDays: number): Promise<string[]> {
  const dropped = await partitions.dropOlderThan(now, retentionDays);
  await platform.query(
    'DELETE FROM aiops_ingest_batch WHERE received_at < ?::timestamptz - make_interval(days => ?) AND (scored_at IS NOT NULL OR points = 0)',
    [now.toISOString(), Math.max(retentionDays, 62)],
  );
  return dropped;
}
