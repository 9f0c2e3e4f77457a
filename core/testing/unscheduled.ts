import type { SqlQuery } from '../db/sql-handles.ts';
import { eventually } from './eventually.ts';

/**
 * Takes a scheduled job off a test node's schedule and waits until none of its runs is queued or
 * running, so a test that calls the job's work itself is not raced by the node's own run: the
 * delivery sweeps run every minute and, when one fell between a test making rows overdue and its
 * own sweep, claimed a row first.
 */
export async function unscheduled(query: SqlQuery, name: string): Promise<void> {
  await query('DELETE FROM pgboss.schedule WHERE name = ?', [name]);
  await query("DELETE FROM pgboss.job WHERE name = ? AND state IN ('created', 'retry')", [name]);
  const idle = await eventually(async () => {
    const [row] = await query<{ running: number }>("SELECT count(*)::int AS running FROM pgboss.job WHERE name = ? AND state = 'active'", [name]);
    return row.running === 0 ? true : undefined;
  });
  if (!idle) throw new Error(`a run of ${name} is still going`);
}
