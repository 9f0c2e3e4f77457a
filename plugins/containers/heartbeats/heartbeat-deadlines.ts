import type { AlertsService, DatabaseService, EventsService } from '../../../core/plugin-api/index.ts';
import { alertHeartbeatChanges } from './heartbeat-alerts.ts';

/**
 * Deadlines are evaluated in the database, not with a timer per heartbeat: `due_at` (indexed) is
 * never later than the moment a heartbeat must go late or down, and one statement on that index
 * moves every heartbeat whose `due_at` passed: up → late at the schedule's deadline (`expected_at`),
 * → down at `down_at` (deadline + grace, or an open run + start grace), and re-arms `due_at` at
 * the real next deadline for those whose pings moved it on (pings leave `due_at` alone while the
 * status stays, so that frequent pings update rows in place). Rows a ping batch or an API change
 * holds are skipped (SKIP LOCKED) and moved by the next sweep, and a sweep's parallel batches never
 * take each other's rows. Sweeps run one at a time across the nodes (the plugin's `ctx.every`). Going down publishes `heartbeat.deadline_missed` and raises
 * the heartbeat's alert in the same transaction, so a status and its alert commit together.
 * The update finds the batch's rows again by primary key from the array of their ids: joined to
 * the CTE alone, the generic plan a prepared statement settles on hashes a scan of every heartbeat.
 */
export const evaluateSql = `
  WITH n AS (SELECT ?::timestamptz AS now), due AS (
    SELECT h.id, h.status AS was,
      CASE WHEN h.down_at <= n.now THEN 'down' WHEN h.status = 'up' AND h.expected_at <= n.now THEN 'late' ELSE h.status END AS next
    FROM heartbeat h, n WHERE h.due_at <= ?::timestamptz ORDER BY h.due_at LIMIT ? FOR UPDATE OF h SKIP LOCKED
  ), changed AS (
    UPDATE heartbeat h SET
      status = due.next,
      status_reason = CASE
        WHEN due.next = due.was THEN h.status_reason
        WHEN due.next = 'late' THEN 'No ping by the deadline ' || to_char(h.expected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        WHEN h.expected_at IS NOT NULL AND h.expected_at + make_interval(secs => h.grace_seconds) <= n.now
          THEN 'No ping by the deadline ' || to_char(h.expected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' plus ' || h.grace_seconds || ' s of grace'
        ELSE 'A run did not finish within ' || coalesce(h.start_grace_seconds, h.grace_seconds) || ' s of its start'
      END,
      status_changed_at = CASE WHEN due.next = due.was THEN h.status_changed_at ELSE n.now END,
      down_at = CASE WHEN due.next = 'down' THEN NULL ELSE h.down_at END,
      due_at = CASE due.next WHEN 'down' THEN NULL WHEN 'paused' THEN NULL WHEN 'up' THEN least(h.expected_at, h.down_at) ELSE h.down_at END
    FROM due, n
    WHERE h.id = due.id AND h.id = ANY (ARRAY(SELECT id FROM due))
    RETURNING h.id, h.tenant_id, h.name, h.status, h.status_reason, due.was, h.expected_at, h.last_ping_at
  ), flips AS (
    INSERT INTO heartbeat_flip (tenant_id, heartbeat_id, at, from_status, to_status, reason)
    SELECT tenant_id, id, n.now, was, status, status_reason FROM changed, n WHERE status <> was
  )
  SELECT * FROM changed`;

type Changed = {
  id: string;
  tenant_id: string;
  name: string;
  status: string;
  status_reason: string;
  was: string;
  expected_at: Date | null;
  last_ping_at: Date | null;
};

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export class HeartbeatDeadlines {
  constructor(
    private readonly deps: {
      database: DatabaseService;
      events: EventsService;
      alerts: AlertsService;
      clock: () => Date;
      /** Heartbeats moved per transaction (default 1000). */
      batchSize?: number;
      /** Transactions evaluating batches side by side (default 2). */
      parallel?: number;
    },
  ) {}

  /**
   * Moves every heartbeat whose deadline passed by `now`; returns how many went late, down, or were
   * re-armed. Batches run in `parallel` transactions (SKIP LOCKED hands each its own rows), since
   * a batch waits on its round trips to the database.
   */
  async evaluate(now: Date = this.deps.clock()): Promise<{ late: number; down: number; rearmed: number }> {
    const batchSize = this.deps.batchSize ?? 1000;
    const totals = { late: 0, down: 0, rearmed: 0 };
    const worker = async () => {
      for (;;) {
        const changed = await this.evaluateBatch(now, batchSize);
        for (const row of changed) {
          if (row.status === row.was) totals.rearmed += 1;
          else if (row.status === 'late' || row.status === 'down') totals[row.status] += 1;
        }
        if (changed.length < batchSize) return;
      }
    };
    await Promise.all(Array.from({ length: this.deps.parallel ?? 2 }, worker));
    return totals;
  }

  private evaluateBatch(now: Date, batchSize: number): Promise<Changed[]> {
    return this.deps.database.platform.transaction(async (tx) => {
      const { query } = tx;
      // `now` twice: as a constant the due_at index can be searched with, and for the row updates.
      const rows = await query<Changed>(evaluateSql, [now.toISOString(), now.toISOString(), batchSize]);
      // A mass outage publishes its events in one statement, not one round trip each.
      await this.deps.events.publishMany(
        tx,
        rows
          .filter((row) => row.status === 'down' && row.was !== 'down')
          .map((row) => ({
            topic: 'heartbeat.deadline_missed',
            tenantId: row.tenant_id,
            payload: {
              heartbeatId: row.id,
              name: row.name,
              status: row.status,
              previousStatus: row.was,
              reason: row.status_reason,
              expectedAt: iso(row.expected_at),
              lastPingAt: iso(row.last_ping_at),
              downAt: now.toISOString(),
            },
          })),
      );
      // All the batch's alerts in a few statements: the rows it moved stay locked until it commits.
      await alertHeartbeatChanges(
        tx,
        this.deps.alerts,
        rows.map((row) => ({ tenantId: row.tenant_id, id: row.id, name: row.name, from: row.was, to: row.status, reason: row.status_reason })),
      );
      return rows;
    });
  }
}
