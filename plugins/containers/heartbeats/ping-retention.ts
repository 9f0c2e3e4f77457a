import type { DatabaseService } from '../../../core/plugin-api/index.ts';
import { uuidv7Floor } from './ping-ingest.ts';

/** Raw pings are kept this long (status changes, which uptime is computed from, much longer). */
export const pingRetentionDays = 30;
export const flipRetentionDays = 400;

/**
 * Deletes pings older than the retention in chunks (short transactions, no long lock). Ping ids
 * are time-ordered, so "older than" is a range of the primary key, with no index of its own.
 */
export async function prunePings(database: DatabaseService, now: Date, chunk = 10_000): Promise<number> {
  const floor = uuidv7Floor(now.getTime() - pingRetentionDays * 86_400_000);
  let total = 0;
  for (;;) {
    const deleted = await database.platform.query<{ id: string }>(
      'DELETE FROM heartbeat_ping WHERE id IN (SELECT id FROM heartbeat_ping WHERE id < ?::uuid LIMIT ?) RETURNING id',
      [floor, chunk],
    );
    total += deleted.length;
    if (deleted.length < chunk) break;
  }
  await database.platform.query('DELETE FROM heartbeat_flip WHERE at < ?', [new Date(now.getTime() - flipRetentionDays * 86_400_000).toISOString()]);
  return total;
}
