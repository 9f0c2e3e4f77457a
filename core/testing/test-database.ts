import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabase } from '../db/embedded-postgres.ts';
import { acquireStandaloneServer } from './standalone-postgres.ts';

/** Set by scripts/run-tests.ts for every test process. */
export function testDatabaseEnv(): { serverUrl: string; template: string } {
  const serverUrl = process.env.ITOPS_TEST_SERVER_URL;
  const template = process.env.ITOPS_TEST_TEMPLATE;
  if (!serverUrl || !template) throw new Error('run tests with `npm test`: it prepares the test database server and template');
  return { serverUrl, template };
}

async function withAdmin<T>(serverUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own for one test, isolated from every other test file running in parallel.
 * Under `npm test` it is a clone of the migrated template (fast); under a plugin's own test runner
 * it is an empty database on DATABASE_URL's server or an embedded one, which the kernel migrates
 * as a fresh installation would. Returns its URL and a function that drops it.
 */
export async function cloneTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const prepared = process.env.ITOPS_TEST_SERVER_URL && process.env.ITOPS_TEST_TEMPLATE ? testDatabaseEnv() : undefined;
  const { serverUrl, release } = prepared ? { serverUrl: prepared.serverUrl, release: async () => {} } : await acquireStandaloneServer();
  const name = `itops_test_${randomBytes(6).toString('hex')}`;
  try {
    await withAdmin(serverUrl, async (client) => {
      if (!prepared) return void (await client.query(`CREATE DATABASE ${name}`));
      for (let attempt = 0; ; attempt++) {
        try {
          // FILE_COPY copies the files whole, about a third faster than the default WAL_LOG's block by
          // block copy; the checkpoint it needs is cheap on the test cluster, which does not fsync.
          await client.query(`CREATE DATABASE ${name} TEMPLATE ${prepared.template} STRATEGY FILE_COPY`);
          return;
        } catch (error) {
          // Two files cloning at the same instant may see the template "in use": retry briefly.
          if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
        }
      }
    });
  } catch (error) {
    await release();
    throw error;
  }
  return {
    url: withDatabase(serverUrl, name),
    name,
    drop: async () => {
      try {
        await withAdmin(serverUrl, async (client) => {
          await dropSlots(client, name);
          await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        });
      } finally {
        await release();
      }
    },
  };
}

/**
 * A logical replication slot (the audit trail's WAL mode) keeps its database from being dropped,
 * even WITH (FORCE); one in use cannot be dropped, so its reader's connection is ended first.
 */
async function dropSlots(client: pg.Client, database: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const { rows } = await client.query<{ slot_name: string; active_pid: number | null }>(
      'SELECT slot_name, active_pid FROM pg_replication_slots WHERE database = $1',
      [database],
    );
    if (rows.length === 0) return;
    for (const slot of rows) {
      if (slot.active_pid !== null) await client.query('SELECT pg_terminate_backend($1)', [slot.active_pid]);
      else await client.query('SELECT pg_drop_replication_slot($1)', [slot.slot_name]).catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs SQL as the server's admin user (e.g. to cut a test database off). */
export function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return withAdmin(testDatabaseEnv().serverUrl, (client) => client.query(sql, params));
}
