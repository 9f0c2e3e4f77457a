import pg from 'pg';
import type { Test } from 'tap';
import { cloneTestDatabase } from '../../../core/testing/test-database.ts';

/**
 * A database of the test's own and a connection to it, with the name for a replication slot that
 * the teardown drops (a slot left behind keeps its database from being dropped). Undefined, and the
 * test planned empty, when the server does not run with `wal_level = logical` (the embedded test
 * cluster does; a server named by DATABASE_URL may not).
 */
export async function logicalDatabase(t: Test, slotPrefix: string): Promise<{ client: pg.Client; slot: string } | undefined> {
  const database = await cloneTestDatabase();
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const slot = `${slotPrefix}_${database.name.slice(-12)}`;
  t.teardown(async () => {
    await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [slot]).catch(() => undefined);
    await client.end();
    await database.drop();
  });
  const [{ wal_level }] = (await client.query('SHOW wal_level')).rows;
  if (wal_level === 'logical') return { client, slot };
  t.plan(0, `the server runs with wal_level = ${wal_level}; decoding needs logical (the embedded test cluster has it)`);
  return undefined;
}
