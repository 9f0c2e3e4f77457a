import t from 'tap';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { createLogger } from '../logging/logger.ts';
import { Database } from './database.ts';
import { migrate } from './sql-migrator.ts';

// The tables the capture trigger covers are the publication's, each with its old rows in full, from
// the migration that creates them; a table whose trigger a plugin disabled is in neither.
t.test('every captured table is published with its full old row, from its migration on', async (t) => {
  const created = await cloneTestDatabase();
  const database = new Database(created.url, 2, createLogger('silent'));
  t.teardown(async () => {
    await database.close();
    await created.drop();
  });
  await migrate(database.platform, 'pubprobe', [
    {
      name: '0001-tables',
      up: `CREATE TABLE pubprobe_note (id serial PRIMARY KEY, tenant_id text NOT NULL, body text);
           CREATE TABLE pubprobe_own (id serial PRIMARY KEY, tenant_id text NOT NULL);
           CREATE TABLE pubprobe_derived (id serial PRIMARY KEY, tenant_id text NOT NULL, body text,
             shout text GENERATED ALWAYS AS (upper(body)) STORED);
           CREATE TABLE pubprobe_global (id serial PRIMARY KEY, body text);`,
    },
  ]);
  const published = async () =>
    (
      await database.platform.query<{ name: string; identity: string }>(
        `SELECT c.relname AS name, c.relreplident AS identity FROM pg_publication_tables p JOIN pg_class c ON c.relname = p.tablename
         WHERE p.pubname = 'itops_captured' AND c.relname LIKE 'pubprobe%' ORDER BY 1`,
      )
    ).map((r) => `${r.name}:${r.identity}`);
  t.same(await published(), ['pubprobe_derived:f', 'pubprobe_note:f', 'pubprobe_own:f'], 'tenant-scoped tables only, replica identity full');
  // PostgreSQL 18 refuses to change a row whose full identity holds a generated column the publication leaves out.
  await database.platform.query(`INSERT INTO pubprobe_derived (tenant_id, body) VALUES ('acme', 'a')`);
  await database.platform.query(`UPDATE pubprobe_derived SET body = 'b'`);
  await database.platform.query('DELETE FROM pubprobe_derived');
  const [{ version }] = await database.platform.query<{ version: number }>(`SELECT current_setting('server_version_num')::int AS version`);
  if (version >= 180000) {
    await migrate(database.platform, 'pubprobe', [
      { name: '0001-tables', up: '' },
      {
        name: '0002-virtual',
        up: `CREATE TABLE pubprobe_virtual (id serial PRIMARY KEY, tenant_id text NOT NULL, body text, shout text GENERATED ALWAYS AS (upper(body)) VIRTUAL)`,
      },
    ]);
    await database.platform.query(`INSERT INTO pubprobe_virtual (tenant_id, body) VALUES ('acme', 'a')`);
    await database.platform.query(`UPDATE pubprobe_virtual SET body = 'b'`);
    await database.platform.query('DELETE FROM pubprobe_virtual');
    t.ok((await published()).includes('pubprobe_virtual:d'), 'a table with a virtual generated column is published with its key as identity');
  }

  await migrate(database.platform, 'pubprobe', [
    { name: '0001-tables', up: '' },
    { name: '0002-virtual', up: '' },
    { name: '0003-opt-out', up: 'ALTER TABLE pubprobe_own DISABLE TRIGGER itops_change_capture' },
  ]);
  t.notOk((await published()).includes('pubprobe_own:f'), 'a table whose capture trigger is disabled leaves the publication');
});
