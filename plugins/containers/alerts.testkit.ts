/**
 * Test helpers for the alerts the containers plugin raises with its status changes: a database
 * whose platform transactions roll back after their work (as a crash before commit would), one
 * that counts what it is asked, and the alert rows of a monitor. Imported by *.test.ts only.
 */
import type { DatabaseService, PlatformDatabase, SqlQuery } from '../../core/plugin-api/index.ts';

/** `database`, except that every platform transaction does its work and then rolls back. */
export function rollingBack(database: DatabaseService): DatabaseService {
  const platform = database.platform;
  const failing: PlatformDatabase = {
    query: platform.query,
    relaxedQuery: platform.relaxedQuery,
    logicalReplication: platform.logicalReplication,
    statement: platform.statement,
    transaction: (fn) =>
      platform.transaction(async (tx) => {
        await fn(tx);
        throw new Error('rolled back after the work of the transaction');
      }),
  };
  return {
    forTenant: (tenantId) => database.forTenant(tenantId),
    forTenantStaleReads: (tenantId) => database.forTenantStaleReads(tenantId),
    platform: failing,
  };
}

/** `database`, counting the platform handle's queries, prepared statement runs and transactions. */
export function counting(database: DatabaseService) {
  const platform = database.platform;
  const counts = { queries: 0, statements: 0, transactions: 0 };
  const query: SqlQuery = (sql, params) => {
    counts.queries += 1;
    return platform.query(sql, params);
  };
  const counted: PlatformDatabase = {
    query,
    relaxedQuery: platform.relaxedQuery,
    logicalReplication: platform.logicalReplication,
    statement: <T>(sql: string) => {
      const run = platform.statement<T>(sql);
      return (params?: unknown[]) => {
        counts.statements += 1;
        return run(params);
      };
    },
    transaction: (fn) => {
      counts.transactions += 1;
      return platform.transaction(fn);
    },
  };
  return { counts, database: { forTenant: (tenantId: string) => database.forTenant(tenantId), platform: counted } as DatabaseService };
}

/** The core alert rows of one monitor, oldest first. */
export function alertRows(kernel: { database: { query: SqlQuery } }, entityId: string) {
  return kernel.database.query<{ fingerprint: string; status: string; title: string; message: string | null }>(
    'SELECT fingerprint, status, title, message FROM alert WHERE entity_id = ? ORDER BY first_seen_at, id',
    [entityId],
  );
}
