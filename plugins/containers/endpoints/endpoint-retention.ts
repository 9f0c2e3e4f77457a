import type { DatabaseService } from '../../../core/plugin-api/index.ts';

/** Raw endpoint check results are kept this long; status changes (uptime) and certificate checks much longer. */
export const endpointCheckRetentionDays = 30;
export const endpointHistoryRetentionDays = 400;

const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();

/** Deletes old check results in chunks (short transactions, no long lock). Returns the endpoint checks deleted. */
export async function pruneEndpointHistory(database: DatabaseService, now: Date, chunk = 10_000): Promise<number> {
  const checksBefore = daysBefore(now, endpointCheckRetentionDays);
  let total = 0;
  for (;;) {
    const deleted = await database.platform.query<{ id: string }>(
      'DELETE FROM endpoint_check WHERE id IN (SELECT id FROM endpoint_check WHERE checked_at < ? LIMIT ?) RETURNING id',
      [checksBefore, chunk],
    );
    total += deleted.length;
    if (deleted.length < chunk) break;
  }
  const historyBefore = daysBefore(now, endpointHistoryRetentionDays);
  await database.platform.query('DELETE FROM certificate_check WHERE checked_at < ?', [historyBefore]);
  await database.platform.query('DELETE FROM endpoint_flip WHERE at < ?', [historyBefore]);
  return total;
}
