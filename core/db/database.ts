import { createHash } from 'node:crypto';
import { MikroORM, type EntitySchema, type MigrationObject } from '@mikro-orm/postgresql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import type { Logger } from '../logging/logger.ts';
import type { SqlQuery } from './sql-query.ts';
import { TenantStamp, tenantFilter, tenantScoped } from '../tenancy/tenant-filter.ts';

/**
 * The platform's handle on PostgreSQL: one MikroORM instance per process. Plugins get an
 * EntityManager fork per unit of work and raw SQL for the hot paths an ORM would slow down.
 */
export class Database {
  /** Connections whose commits do not wait for the WAL flush (see relaxedQuery). */
  private readonly relaxedPool: pg.Pool;
  /** Raw SQL outside transactions: bind parameters (MikroORM's execute formats them into the text). */
  private readonly directPool: pg.Pool;

  private constructor(
    readonly orm: MikroORM,
    readonly url: string,
    poolSize: number,
  ) {
    this.relaxedPool = new pg.Pool({ connectionString: url, max: 4, options: '-c synchronous_commit=off', application_name: 'itops-relaxed', types });
    this.relaxedPool.on('error', () => undefined);
    this.directPool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'itops', types });
    this.directPool.on('error', () => undefined);
  }

  static async connect(options: {
    url: string;
    poolSize: number;
    entities: EntitySchema<any, any, any>[];
    migrations: MigrationObject[];
    logger: Logger;
  }): Promise<Database> {
    const scoped = tenantScoped(options.entities);
    const orm = await MikroORM.init({
      clientUrl: options.url,
      entities: options.entities,
      filters: tenantFilter(scoped),
      subscribers: [new TenantStamp(new Set(scoped.map((e) => e.meta.className)))],
      discovery: { warnWhenNoEntities: false },
      extensions: [Migrator],
      migrations: { migrationsList: options.migrations, tableName: 'itops_migrations', snapshot: false, silent: true, transactional: true, allOrNothing: true },
      pool: { min: 0, max: options.poolSize },
      debug: false,
      allowGlobalContext: false,
    });
    return new Database(orm, options.url, options.poolSize);
  }

  /** A fresh unit of work for platform-level data; tenant-scoped entities refuse to be queried through it. */
  em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }

  /** A fresh unit of work that sees and creates only `tenantId`'s rows of tenant-scoped entities. */
  forTenant(tenantId: string): EntityManager {
    if (!tenantId) throw new Error('forTenant needs a tenant id');
    const em = this.orm.em.fork() as EntityManager;
    em.setFilterParams('tenant', { tenantId });
    return em;
  }

  /** Bound, so services can be handed `database.query` itself. */
  readonly query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await this.directPool.query(numberedPlaceholders(sql), params.map(bindable))).rows as T[];

  /**
   * A statement prepared once per connection (parsed and planned once, run many times): for the
   * few hot statements a plugin runs thousands of times a second. Same `?` placeholders as query.
   */
  statement<T = Record<string, unknown>>(sql: string): (params?: unknown[]) => Promise<T[]> {
    const text = numberedPlaceholders(sql);
    const name = `itops_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    return async (params = []) => (await this.directPool.query({ name, text, values: params.map(bindable) })).rows as T[];
  }

  /**
   * One transaction for raw SQL and outbox events together: `query` runs inside it and `em` is what
   * `events.publish(em, …)` needs. Commits when `fn` resolves, rolls back when it throws.
   */
  transaction<T>(fn: (tx: { em: EntityManager; query: SqlQuery }) => Promise<T>): Promise<T> {
    return this.em().transactional((em) =>
      fn({ em: em as EntityManager, query: (sql, params = []) => em.getConnection().execute(sql, params, 'all', em.getTransactionContext()) as never }),
    );
  }

  /**
   * A single statement committed without waiting for the WAL flush, on a small pool of its own
   * (synchronous_commit off per connection). Only for bookkeeping a crash may lose harmlessly, such
   * as rate-limit counters and liveness timestamps: a hot row's lock is then held for a round trip
   * instead of an fsync. Never for anything acknowledged to a client.
   */
  readonly relaxedQuery = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await this.relaxedPool.query(numberedPlaceholders(sql), params)).rows as T[];

  async migrate(): Promise<string[]> {
    const done = await this.orm.migrator.up();
    return done.map((m) => m.name);
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
    await this.relaxedPool.end().catch(() => undefined);
    await this.directPool.end().catch(() => undefined);
    await this.orm.close(true);
  }
}

/**
 * Date and time values come back as PostgreSQL's text, as they do through MikroORM, so a row reads
 * the same whichever path fetched it.
 */
const textTypes = new Set([1082, 1083, 1114, 1184, 1186, 1266]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    textTypes.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** An absent parameter binds as NULL, as it did through MikroORM. */
function bindable(value: unknown): unknown {
  return value === undefined ? null : value;
}

/** `?` placeholders (our raw SQL's, as MikroORM takes them) as pg's `$1, $2…`, outside quoted text. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/'(?:[^']|'')*'|"(?:[^"])*"|\?/g, (match) => (match === '?' ? `$${++n}` : match));
}
