import pg from 'pg';
import type { Logger } from '../logging/logger.ts';
import { bindable, checkedOut, numberedPlaceholders, prepared, runAfterCommit, types } from './database.ts';
import { isConnectionError } from './database-errors.ts';
import type { SqlHandle, SqlQuery, TenantDatabase, Tx } from './sql-handles.ts';
import { appRole, tenantSetting } from './tenant-isolation.ts';
import { lsnValue } from './wal-position.ts';

/** The tenant a pooled connection is set to, as in Database.forTenant. */
const boundTenant = Symbol('itops.readTenant');
type ReadClient = pg.PoolClient & { [boundTenant]?: string };

export interface ReplicaSettings {
  /** A streaming standby of the primary (ITOPS_DATABASE_REPLICA_URL). */
  url: string;
  /** How stale its reads may be (ITOPS_DATABASE_REPLICA_MAX_LAG_MS). */
  maxLagMs: number;
  /** How often its state is checked; default a quarter of maxLagMs, between 100 ms and 1 s. */
  checkEveryMs?: number;
}

/** What the router last saw of the replica (for logs, tests and operators). */
export interface ReplicaState {
  configured: boolean;
  /** Reads go to the replica now. */
  serving: boolean;
  /** Time since the replica last had everything the primary had written; null when unknown. */
  lagMs: number | null;
  /** Why reads go to the primary, when they do. */
  reason?: string;
}

/**
 * Reads that tolerate staleness, routed to a streaming read replica while it is usable, else to
 * the primary. Usable means: reachable, in recovery (a promoted server has left the primary's
 * timeline and is never read from), and behind the primary by no more than `maxLagMs`.
 *
 * Lag is measured against the primary's WAL position rather than the replica's last replay
 * timestamp (which stands still while the primary is idle): every check notes the primary's
 * `pg_current_wal_lsn()` with the time, and the replica's lag is the age of the newest noted
 * position it has replayed. A replica that has replayed none of the retained positions is behind
 * by more than the bound. Between checks the lag can grow by up to one check interval.
 *
 * Every connection of either side is read-only (`default_transaction_read_only`), so a write sent
 * through this handle fails the same way with or without a replica (SQLSTATE 25006), and runs as
 * the application role under row-level security, with the tenant set per connection exactly as
 * `forTenant` does: the replica replays the primary's policies, so isolation holds there unchanged.
 */
export class ReplicaReads {
  /** Read-only application-role connections to the primary: the fallback, and the only side without a replica. */
  private readonly primaryPool: pg.Pool;
  private readonly replicaPool?: pg.Pool;
  /** The health check's own connection, so a saturated read pool cannot starve it. */
  private readonly probePool?: pg.Pool;
  private readonly samples: { at: number; lsn: bigint }[] = [];
  private state: ReplicaState;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    primaryUrl: string,
    poolSize: number,
    private readonly primaryQuery: SqlQuery,
    private readonly logger: Logger,
    private readonly replica?: ReplicaSettings,
  ) {
    const readOnly = { types, keepAlive: true, options: `-c role=${appRole} -c default_transaction_read_only=on` };
    this.primaryPool = new pg.Pool({
      ...readOnly,
      connectionString: primaryUrl,
      connectionTimeoutMillis: 30_000,
      max: poolSize,
      application_name: 'itops-reads',
    });
    this.primaryPool.on('error', () => undefined);
    this.state = { configured: Boolean(replica), serving: false, lagMs: null, reason: replica ? 'not checked yet' : 'no replica configured' };
    if (!replica) return;
    // Short connection waits: a replica that does not answer sends its reads to the primary instead.
    this.replicaPool = new pg.Pool({
      ...readOnly,
      connectionString: replica.url,
      connectionTimeoutMillis: 3_000,
      max: poolSize,
      application_name: 'itops-replica-reads',
    });
    this.probePool = new pg.Pool({ connectionString: replica.url, connectionTimeoutMillis: 3_000, max: 1, application_name: 'itops-replica-check' });
    for (const pool of [this.replicaPool, this.probePool]) pool.on('error', () => undefined);
    const every = replica.checkEveryMs ?? Math.min(1000, Math.max(100, Math.floor(replica.maxLagMs / 4)));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
    void this.check();
  }

  get status(): ReplicaState {
    return { ...this.state };
  }

  /** Checks the replica now (the timer does it regularly); resolves once the state is updated. */
  check(): Promise<void> {
    this.checking ??= this.checkOnce().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    const { maxLagMs } = this.replica as ReplicaSettings;
    const at = Date.now();
    try {
      const [{ lsn }] = await this.primaryQuery<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      this.samples.push({ at, lsn: lsnValue(lsn) });
    } catch {
      // The primary is away: the positions noted so far still bound the replica's lag.
    }
    // Keep what can still prove a lag within the bound, and always the newest position.
    while (this.samples.length > 1 && this.samples[1].at < at - maxLagMs) this.samples.shift();
    try {
      const { rows } = await (this.probePool as pg.Pool).query<{ standby: boolean; replayed: string | null }>(
        'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
      );
      const [{ standby, replayed }] = rows;
      if (!standby || replayed === null) return this.update(false, null, 'the replica is not in recovery (promoted, or not a standby)');
      const position = lsnValue(replayed);
      const caughtUp = this.samples.findLast((sample) => sample.lsn <= position);
      if (!caughtUp) return this.update(false, null, `the replica is more than ${maxLagMs} ms behind the primary`);
      const lagMs = Date.now() - caughtUp.at;
      this.update(lagMs <= maxLagMs, lagMs, `the replica is ${lagMs} ms behind the primary (bound ${maxLagMs} ms)`);
    } catch (error) {
      this.update(false, null, `the replica is unreachable: ${(error as Error).message}`);
    }
  }

  private update(serving: boolean, lagMs: number | null, reason: string): void {
    if (serving !== this.state.serving) {
      if (serving) this.logger.info({ lagMs }, 'read replica serves stale-tolerant reads again');
      else this.logger.warn({ reason }, 'read replica not used; its reads go to the primary');
    }
    this.state = { configured: true, serving, lagMs, ...(serving ? {} : { reason }) };
  }

  /** The tenant's rows through a read-only connection of the replica, or of the primary when the replica is not usable. */
  forTenant(tenantId: string): TenantDatabase {
    const onPool = <T>(pool: pg.Pool, fn: (client: ReadClient) => Promise<T>) =>
      checkedOut(pool, async (client: ReadClient) => {
        if (client[boundTenant] !== tenantId) {
          client[boundTenant] = undefined;
          await client.query(`SELECT set_config('${tenantSetting}', $1, false)`, [tenantId]);
          client[boundTenant] = tenantId;
        }
        return fn(client);
      });
    // A read is safe to repeat: when the replica fails it (gone, or a query cancelled by a
    // recovery conflict, 40001), the same read runs on the primary.
    const routed = async <T>(fn: (client: ReadClient) => Promise<T>): Promise<T> => {
      const replica = this.state.serving ? this.replicaPool : undefined;
      if (replica) {
        try {
          return await onPool(replica, fn);
        } catch (error) {
          if (isConnectionError(error)) this.update(false, null, `a read on the replica failed: ${(error as Error).message}`);
          else if ((error as { code?: string }).code !== '40001') throw error;
        }
      }
      return onPool(this.primaryPool, fn);
    };
    const handle: SqlHandle = {
      query: <T>(sql: string, params: unknown[] = []) =>
        routed(async (client) => (await client.query(numberedPlaceholders(sql), params.map(bindable))).rows as T[]),
      transaction: (fn) => routed((client) => this.readTransaction(client, tenantId, fn)),
      statement: <T>(sql: string) => prepared<T>(sql, (q) => routed((client) => client.query(q))),
    };
    return { tenantId, ...handle };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    await Promise.all([this.primaryPool, this.replicaPool, this.probePool].map((pool) => pool?.end().catch(() => undefined)));
  }

  /** A read-only transaction: one consistent snapshot for reads that span several statements (a report). */
  private async readTransaction<T>(client: pg.PoolClient, tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const afterCommit: (() => unknown)[] = [];
    const tx: Tx = {
      tenantId,
      query: async <R>(sql: string, params: unknown[] = []) => (await client.query(numberedPlaceholders(sql), params.map(bindable))).rows as R[],
      statement: <R>(sql: string) => prepared<R>(sql, (q) => client.query(q)),
      afterCommit: (step) => {
        afterCommit.push(step);
      },
    };
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let result: T;
    try {
      result = await fn(tx);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    await runAfterCommit(afterCommit, this.logger);
    return result;
  }
}
