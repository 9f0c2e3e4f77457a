import pg from 'pg';
import type { Logger } from '../logging/logger.ts';
import { isConnectionError, unlessUnavailable } from './database-errors.ts';
import { appRole, tenantSetting } from './tenant-isolation.ts';
import { MutationObservers } from './mutation-observers.ts';
import { CapturedNotices } from './captured-notices.ts';
import { commitStatements } from './notifying-commit.ts';
import { arrayParameter } from './array-parameter.ts';
import { type CommitStatement, inlineParameters, inlinedStatement, replacePlaceholders } from './placeholders.ts';
import { type ReplicationStream, startLogicalReplication } from './logical-replication.ts';
import { PreparingClient, statementName } from './preparing-client.ts';
import { ReplicaReads, type ReplicaSettings } from './read-replica.ts';
import type { DatabaseService, PlatformDatabase, SqlHandle, SqlQuery, TenantDatabase, Tx } from './sql-handles.ts';

/** The tenant a pooled connection of the app role is set to (a session setting, see forTenant). */
const boundTenant = Symbol('itops.tenant');
type AppClient = pg.PoolClient & { [boundTenant]?: string };

/**
 * The platform's handle on PostgreSQL. Two pools: the owner's (migrations and the explicit
 * `platform` handle) and the application role's, which is not the tables' owner, so row-level
 * security applies to every query it runs and it cannot switch it off.
 */
export class Database implements DatabaseService {
  /** Connections whose commits do not wait for the WAL flush (see relaxedQuery). */
  private readonly relaxedPool: pg.Pool;
  /** The owner's connections: platform work and migrations. */
  private readonly ownerPool: pg.Pool;
  /** The application role's connections: every tenant-scoped query. */
  private readonly appPool: pg.Pool;
  readonly platform: PlatformDatabase;
  /** Plugins that see every change in its transaction (audit); see mutation-observers.ts. */
  readonly mutationObservers = new MutationObservers();
  /** Reads that tolerate staleness: the read replica's, or the primary's (see read-replica.ts). */
  readonly replicaReads: ReplicaReads;
  /** Replication streams open on their own connections (platform.logicalReplication). */
  private readonly streams = new Set<ReplicationStream>();
  /** forTenant's handles, one per tenant (a handle holds nothing else). */
  private readonly tenantHandles = new Map<string, TenantDatabase>();

  constructor(
    readonly url: string,
    poolSize: number,
    private readonly logger: Logger,
    replica?: ReplicaSettings,
  ) {
    // A bounded wait for a connection (opening one, or a free one of a busy pool): with the server
    // unreachable a request answers 503 rather than hanging; generous, so a burst only queues.
    const base = { connectionString: url, types, connectionTimeoutMillis: 30_000, keepAlive: true, Client: PreparingClient };
    this.relaxedPool = new pg.Pool({ ...base, max: 4, options: '-c synchronous_commit=off', application_name: 'itops-relaxed' });
    this.ownerPool = new pg.Pool({ ...base, max: poolSize, application_name: 'itops' });
    this.appPool = new pg.Pool({ ...base, max: poolSize, options: `-c role=${appRole}`, application_name: 'itops-app' });
    // An idle connection the server drops is discarded by the pool; the next checkout opens a new one.
    for (const pool of [this.relaxedPool, this.ownerPool, this.appPool]) pool.on('error', () => undefined);
    this.platform = {
      query: this.query,
      transaction: (fn) => this.run(this.ownerPool, null, fn),
      statement: (sql) => prepared(sql, (q) => unlessUnavailable(() => this.ownerPool.query(q))),
      relaxedQuery: this.relaxedQuery,
      logicalReplication: async (options) => {
        const stream = await startLogicalReplication(url, options);
        // Closed with the pools at the latest: an open stream holds its slot and its database.
        this.streams.add(stream);
        stream.ended.then(() => this.streams.delete(stream));
        return stream;
      },
    };
    this.replicaReads = new ReplicaReads(url, poolSize, this.query, logger, replica);
  }

  /** Owner-level SQL; kept for the kernel's own bookkeeping. Plugins use `platform` or `forTenant`. */
  readonly query: SqlQuery = <T>(sql: string, params: unknown[] = []) =>
    unlessUnavailable(async () => (await this.ownerPool.query(numberedPlaceholders(sql), params.map(bindable))).rows as T[]);

  readonly relaxedQuery: SqlQuery = <T>(sql: string, params: unknown[] = []) =>
    unlessUnavailable(async () => (await this.relaxedPool.query(numberedPlaceholders(sql), params.map(bindable))).rows as T[]);

  /**
   * A handle that sees only `tenantId`'s rows. The tenant is a session setting of the pooled
   * connection, set when the connection is taken for another tenant than it last served: set
   * outside any transaction, a rollback cannot undo it, and a connection never runs a statement
   * for a tenant before it is set (a fresh connection has none, and then sees no rows at all).
   * The setting is remembered on the client object, so a connection the server dropped takes it
   * along and its replacement starts unset (prepared statements too are per client).
   */
  forTenant(tenantId: string): TenantDatabase {
    const known = this.tenantHandles.get(tenantId);
    if (known) return known;
    checkTenantId(tenantId);
    const created = this.tenantHandle(tenantId);
    // A handle holds nothing but its tenant, so one per tenant serves every caller: a request asks
    // for it several times, and building it (five closures, each renamed under tsx) is not free.
    if (this.tenantHandles.size >= maxTenantHandles) this.tenantHandles.clear();
    this.tenantHandles.set(tenantId, created);
    return created;
  }

  private tenantHandle(tenantId: string): TenantDatabase {
    const withClient = <T>(fn: (client: AppClient) => Promise<T>): Promise<T> =>
      checkedOut(this.appPool, async (client: AppClient) => {
        if (client[boundTenant] !== tenantId) {
          client[boundTenant] = undefined;
          await client.query(`SELECT set_config('${tenantSetting}', $1, false)`, [tenantId]);
          client[boundTenant] = tenantId;
        }
        return fn(client);
      });
    // In an observed mutating request a lone statement runs in a transaction of its own too, so
    // what it changes reaches the observers before it commits.
    const handle: SqlHandle = {
      query: <T>(sql: string, params: unknown[] = []) =>
        this.mutationObservers.observing()
          ? handle.transaction((tx) => tx.query<T>(sql, params))
          : withClient(async (client) => (await client.query(numberedPlaceholders(sql), params.map(bindable))).rows as T[]),
      transaction: (fn) => withClient((client) => this.inTransaction(client, tenantId, fn)),
      statement: <T>(sql: string) => {
        const run = prepared<T>(sql, (q) => withClient((client) => client.query(q)));
        return (params?: unknown[]) => (this.mutationObservers.observing() ? handle.transaction((tx) => tx.query<T>(sql, params)) : run(params));
      },
    };
    return Object.freeze({ tenantId, ...handle });
  }

  /** The tenant's rows, read-only and possibly behind by the replica's bound: see DatabaseService. */
  forTenantStaleReads(tenantId: string): TenantDatabase {
    checkTenantId(tenantId);
    return this.replicaReads.forTenant(tenantId);
  }

  private run<T>(pool: pg.Pool, tenantId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return checkedOut(pool, (client) => this.inTransaction(client, tenantId, fn));
  }

  private async inTransaction<T>(client: pg.PoolClient, tenantId: string | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const afterCommit: (() => unknown)[] = [];
    // BEGIN is sent with the transaction's first statement: a round trip less for every
    // transaction. A statement prepared on the connection follows the opening statements in one
    // write (PreparingClient.queryOpened); any other is inlined into one simple query with them.
    // (An explicitly prepared statement, tx.statement, is sent after a BEGIN of its own.)
    const observed = this.mutationObservers.capturing();
    const opening = this.mutationObservers.beginStatements(observed);
    let begin: string | undefined = opening.join('; ');
    const notices = observed ? new CapturedNotices(client) : undefined;
    const sendBegin = async () => {
      if (begin === undefined) return;
      const sql = begin;
      begin = undefined;
      await client.query(sql);
    };
    const tx: Tx = {
      tenantId,
      query: async <R>(sql: string, params: unknown[] = []) => {
        notices?.noteStatement(sql);
        const values = params.map(bindable);
        if (begin !== undefined && client instanceof PreparingClient) {
          // A statement prepared on this connection goes in one write after the opening statements.
          const opened = client.queryOpened(opening, numberedPlaceholders(sql), values);
          if (opened) {
            begin = undefined;
            return (await opened).rows as R[];
          }
        }
        const first = begin === undefined ? undefined : inlinedStatement(sql, values);
        if (first === undefined) {
          await sendBegin();
          return (await client.query(numberedPlaceholders(sql), values)).rows as R[];
        }
        const text = `${begin};\n${first}`;
        begin = undefined;
        const results = (await client.query(text)) as unknown as pg.QueryResult[];
        return results[results.length - 1].rows as R[];
      },
      statement: <R>(sql: string) => {
        const run = prepared<R>(sql, (q) => client.query(q));
        return async (params?: unknown[]) => {
          await sendBegin();
          return run(params);
        };
      },
      afterCommit: (step) => {
        afterCommit.push(step);
      },
    };
    if (notices) this.mutationObservers.noteNotices(tx, notices);
    let result: T;
    try {
      result = await fn(tx);
      const commit = commitStatements(tx, await this.mutationObservers.beforeCommit(tx, observed));
      // A transaction that ran no statement still begins and commits: its observers may have written.
      const opened = begin === undefined ? [] : opening.map((sql) => ({ sql, params: [] }));
      begin = undefined;
      await sendCommit(client, [...opened, ...commit]);
    } catch (error) {
      if (begin === undefined) await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      notices?.close();
    }
    await runAfterCommit(afterCommit, this.logger);
    return result;
  }

  async isReachable(): Promise<boolean> {
    try {
      await this.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.streams].map((stream) => stream.close()));
    await this.replicaReads.close();
    await Promise.all([this.relaxedPool, this.ownerPool, this.appPool].map((pool) => pool.end().catch(() => undefined)));
  }
}

/**
 * A pooled connection for the length of `fn`. A checked-out client has no listener of the pool's, and
 * a connection lost between two statements emits 'error' on it: heard here, or the process dies of
 * it. A connection that failed goes back as broken, so the pool closes it instead of lending it
 * again; losing the server altogether is answered as `unavailable` (503), see database-errors.ts.
 */
export function checkedOut<T, C extends pg.PoolClient = pg.PoolClient>(pool: pg.Pool, fn: (client: C) => Promise<T>): Promise<T> {
  return unlessUnavailable(async () => {
    const client = (await pool.connect()) as C;
    const ignore = () => undefined;
    client.on('error', ignore);
    let failure: Error | undefined;
    try {
      return await fn(client);
    } catch (error) {
      if (isConnectionError(error)) failure = error as Error;
      throw error;
    } finally {
      client.off('error', ignore);
      client.release(failure);
    }
  });
}

export function prepared<T>(sql: string, run: (query: pg.QueryConfig) => Promise<pg.QueryResult>): (params?: unknown[]) => Promise<T[]> {
  const text = numberedPlaceholders(sql);
  const name = statementName(text);
  return async (params = []) => (await run({ name, text, values: params.map(bindable) })).rows as T[];
}

const tenantIdPattern = /^[a-z0-9][a-z0-9-]{0,99}$/;
const maxTenantHandles = 10_000;

function checkTenantId(tenantId: string): void {
  if (typeof tenantId !== 'string' || !tenantIdPattern.test(tenantId)) throw new Error(`forTenant needs a workspace id, got ${JSON.stringify(tenantId)}`);
}

/**
 * Date and time values come back as PostgreSQL's text, so a row reads the same whichever path
 * fetched it.
 */
const textTypes = new Set([1082, 1083, 1114, 1184, 1186, 1266]);
export const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    textTypes.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** An absent parameter binds as NULL; a flat array of strings and numbers as its array literal, written here. */
export function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  return Array.isArray(value) ? (arrayParameter(value) ?? value) : value;
}

/**
 * Converted statements by their text: the same few hundred statements run over and over, and the
 * scan below costs a hot path's statement (a ping batch's is 2 kB) more than sending it does.
 */
const converted = new Map<string, string>();
const maxConverted = 5000;

/** `?` placeholders (our raw SQL's) as pg's `$1, $2…`, outside quoted text. */
export function numberedPlaceholders(sql: string): string {
  let text = converted.get(sql);
  if (text === undefined) {
    text = convertPlaceholders(sql);
    // Statements built with inlined values would grow it without bound: start over instead.
    if (converted.size >= maxConverted) converted.clear();
    converted.set(sql, text);
  }
  return text;
}

function convertPlaceholders(sql: string): string {
  return replacePlaceholders(sql, (n) => `$${n}`);
}

/**
 * The statements that end a transaction, in one round trip. Statements with values (an observer's
 * records) go as one pipeline on a connection that prepares, so PostgreSQL plans them once per
 * connection instead of parsing their literals at every commit (the audit record's INSERT was a
 * fifth of an audited request's database time); the others as one simple query, as ever.
 */
async function sendCommit(client: pg.PoolClient, statements: readonly CommitStatement[]): Promise<void> {
  if (client instanceof PreparingClient && statements.some((statement) => statement.params.length > 0)) {
    await client.queryPipelined(statements.map(({ sql, params }) => ({ text: numberedPlaceholders(sql), values: params })));
    return;
  }
  await client.query(statements.map(({ sql, params }) => (params.length > 0 ? inlineParameters(sql, params) : sql)).join(';\n'));
}

/** The steps a transaction registered for after its commit, in order; one failing does not stop the rest. */
export async function runAfterCommit(steps: (() => unknown)[], logger: Logger): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      logger.warn({ err: error }, 'a step after commit failed');
    }
  }
}
