import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabase } from '../db/embedded-postgres.ts';

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
 * A database of its own for one test, cloned from the migrated template (fast, and isolated from
 * every other test file running in parallel). Returns its URL and a function that drops it.
 */
export async function cloneTestDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const { serverUrl, template } = testDatabaseEnv();
  const name = `itops_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, async (client) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        return;
      } catch (error) {
        // Two files cloning at the same instant may see the template "in use": retry briefly.
        if ((error as { code?: string }).code !== '55006' || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  });
  return {
    url: withDatabase(serverUrl, name),
    name,
    drop: () => withAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)),
  };
}

/** Runs SQL as the server's admin user (e.g. to cut a test database off). */
export function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return withAdmin(testDatabaseEnv().serverUrl, (client) => client.query(sql, params));
}
