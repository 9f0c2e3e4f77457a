import t from 'tap';
import { logicalDatabase } from './decoding.testkit.ts';
import { lsnValue } from '../../../core/plugin-api/index.ts';
import { SlotReader } from './slot-reader.ts';

t.test('LSNs compare as numbers', async (t) => {
  t.ok(lsnValue('1/0') > lsnValue('0/FFFFFFFF'));
  t.equal(lsnValue('16/B374D848'), (0x16n << 32n) + 0xb374d848n);
});

/**
 * A reader that stopped after writing what it made of a transaction but before releasing the slot
 * gets that transaction again and skips it by its commit LSN; a released slot no longer hands out
 * what was released; a small limit still gives whole transactions.
 */
t.test('each committed transaction once, whatever stops the reader', async (t) => {
  const logical = await logicalDatabase(t, 'audit_reader');
  if (!logical) return;
  const { client, slot } = logical;
  await client.query('CREATE TABLE reader_row (id int PRIMARY KEY, name text); CREATE PUBLICATION reader_pub FOR TABLE reader_row');
  await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const query = <T>(sql: string, params: unknown[] = []) => {
    let n = 0;
    return client
      .query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
      .then((r) => r.rows as T[]);
  };
  const commit = async (id: number) => client.query('INSERT INTO reader_row VALUES ($1, $2)', [id, `row ${id}`]);
  const ids = ({ transactions }: Awaited<ReturnType<SlotReader['read']>>) => transactions.map((tx) => tx.changes.map((c) => c.after?.id));

  for (const id of [1, 2, 3]) await commit(id);
  const reader = new SlotReader(query, slot, 'reader_pub');
  const read = await reader.read(null, 1000);
  t.strictSame(ids(read), [[1], [2], [3]], 'three transactions, oldest first');
  const all = read.transactions;
  t.equal(read.through, all[2].commitLsn, 'read through the last commit');
  const lsns = all.map((tx) => lsnValue(tx.commitLsn as string));
  t.ok(lsns[0] < lsns[1] && lsns[1] < lsns[2], 'each with its commit LSN, increasing');

  // What the first transaction made was written with its LSN, then the reader stopped before releasing.
  const written = all[0].commitLsn as string;
  const restarted = new SlotReader(query, slot, 'reader_pub');
  t.strictSame(ids(await restarted.read(written, 1000)), [[2], [3]], 'after a restart, the written transaction is skipped');

  await restarted.release(all[1].commitLsn as string);
  t.strictSame(ids(await restarted.read(null, 1000)), [[3]], 'what was released is not handed out again');

  for (const id of [4, 5, 6, 7]) await commit(id);
  const some = (await restarted.read(all[1].commitLsn as string, 2)).transactions;
  t.ok(some.length >= 1 && some.length < 5, `a small limit gives some transactions (${some.length}), not all`);
  t.ok(
    some.every((tx) => tx.changes.length === 1),
    'each whole',
  );

  await client.query(`BEGIN; INSERT INTO reader_row VALUES (8, 'with message'); SELECT pg_logical_emit_message(true, 'itops.test', 'x'); COMMIT`);
  const filtered = await restarted.read(all[2].commitLsn as string, 1000, 'itops.test');
  t.strictSame(ids(filtered), [[8]], 'with a prefix, only the transaction with its message');
  const rest = await restarted.read(all[2].commitLsn as string, 1000);
  t.equal(filtered.through, rest.transactions.at(-1)?.commitLsn, 'and read through the last commit, past the ones skipped');
  t.same(await restarted.read(filtered.through, 1000), { transactions: [], through: null }, 'nothing after it');
});
