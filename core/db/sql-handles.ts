/**
 * The database as code sees it: SQL with `?` placeholders, transactions that carry outbox events
 * and after-commit steps, and no ORM types. Two kinds of handle exist: one scoped to a tenant
 * (row-level security holds the tenant condition) and the explicit, greppable `platform` handle.
 */
import type { ReplicationOptions, ReplicationStream } from './logical-replication.ts';

/** Raw SQL with `?` placeholders: what a handle's `query` is, passed around. */
export type SqlQuery = <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

/** One open transaction. Outbox events (`events.publish(tx, …)`) and alerts (`alerts.raise(tx, …)`) join it. */
export interface Tx {
  /** The tenant whose rows this transaction sees; null for a platform transaction. */
  readonly tenantId: string | null;
  query: SqlQuery;
  /**
   * A statement prepared once per connection, as SqlHandle's: for a statement a transaction runs
   * thousands of times a second, whose planning would otherwise cost as much as a small execution.
   */
  statement<T = Record<string, unknown>>(sql: string): (params?: unknown[]) => Promise<T[]>;
  /** Runs once the transaction committed (never when it rolls back); failures are logged. */
  afterCommit(fn: () => unknown): void;
}

/** SQL, transactions and prepared statements through one kind of connection. */
export interface SqlHandle {
  query: SqlQuery;
  /** Commits when `fn` resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * A statement prepared once per connection (parsed and planned once): for the few statements a
   * plugin runs thousands of times a second. Make it once (at init), call it with its parameters.
   */
  statement<T = Record<string, unknown>>(sql: string): (params?: unknown[]) => Promise<T[]>;
}

/**
 * Sees and writes only one tenant's rows of every tenant-scoped table, enforced by PostgreSQL's
 * row-level security: a query without a tenant condition still returns only this tenant's rows,
 * and a row of another tenant cannot be inserted.
 */
export interface TenantDatabase extends SqlHandle {
  readonly tenantId: string;
}

/**
 * Unscoped access for the rare work that spans tenants (deadline sweeps, retention, public pings
 * looked up by their secret). Every use is a place to read twice: grep for `.platform`.
 */
export interface PlatformDatabase extends SqlHandle {
  /**
   * One statement committed without waiting for the WAL flush: only for bookkeeping a crash may
   * lose harmlessly (counters, liveness timestamps), never for anything acknowledged to a client.
   */
  relaxedQuery: SqlQuery;
  /**
   * Streams a logical replication slot from where it was last confirmed, on a connection of its
   * own (the role needs REPLICATION). Rejects with SQLSTATE 55006 while another connection holds it.
   */
  logicalReplication(options: ReplicationOptions): Promise<ReplicationStream>;
}

/** The database as plugins see it. */
export interface DatabaseService {
  /** The tenant's view of the database. Use `req.tenantId`. */
  forTenant(tenantId: string): TenantDatabase;
  /**
   * The tenant's rows for reads that tolerate staleness (counters, reports, exports, list pages
   * nobody just wrote to): served by the read replica when one is configured, reachable and within
   * ITOPS_DATABASE_REPLICA_MAX_LAG_MS of the primary, else by the primary. Read-only (a write
   * fails, SQLSTATE 25006) and isolated by row-level security as `forTenant` is. Never for a read
   * that must see a write of the same request or of the client's previous one.
   */
  forTenantStaleReads(tenantId: string): TenantDatabase;
  /** Unscoped access (bypasses row-level security): only for work across tenants. */
  readonly platform: PlatformDatabase;
}
