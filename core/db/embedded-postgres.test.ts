import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { createLogger } from '../logging/logger.ts';
import { ensureDatabase, startEmbeddedPostgres, withDatabase } from './embedded-postgres.ts';

t.test('the embedded database keeps its data across restarts', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'itops-embedded-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const port = 54000 + Math.floor(Math.random() * 900);
  const logger = createLogger('silent');
  const query = async (url: string, sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };

  const first = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger });
  await ensureDatabase(first.url, 'itops');
  const url = withDatabase(first.url, 'itops');
  await query(url, 'CREATE TABLE kept (value text)');
  await query(url, "INSERT INTO kept VALUES ('survives')");
  await first.stop();

  const second = await startEmbeddedPostgres({ dir: path.join(dir, 'postgres'), port, logger });
  t.teardown(() => second.stop());
  await ensureDatabase(second.url, 'itops');
  t.same(await query(url, 'SELECT value FROM kept'), [{ value: 'survives' }]);
});
