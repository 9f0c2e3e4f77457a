import t from 'tap';
import { logicalDatabase } from './decoding.testkit.ts';
import { columnTypes, PgoutputDecoder } from './pgoutput.ts';
import { parseArray } from './text-values.ts';

t.test('array text forms', async (t) => {
  const int = { category: 'N', name: 'int4' };
  const text = { category: 'S', name: 'text' };
  t.strictSame(parseArray('{}', int), []);
  t.strictSame(parseArray('{1,NULL,-3}', int), [1, null, -3]);
  t.strictSame(parseArray('{{1,2},{3,4}}', int), [
    [1, 2],
    [3, 4],
  ]);
  t.strictSame(parseArray('[0:1]={5,6}', int), [5, 6]);
  t.strictSame(parseArray('{"a b","NULL",NULL,"say \\"hi\\"","back\\\\slash",plain}', text), ['a b', 'NULL', null, 'say "hi"', 'back\\slash', 'plain']);
  t.strictSame(parseArray('{1,"cu', text), ['1', 'cu'], 'a cut text ends where it ends');
});

/**
 * The decoder against the real thing: rows changed in three transactions (one rolled back), read
 * from a pgoutput slot, must equal what row_to_json gives for the same rows, type by type, in two
 * time zones; an update's old row comes with it (replica identity FULL), an unchanged TOAST value
 * of the new row is taken from the old one, and the transaction's logical message is there.
 */
t.test('rows decoded from the WAL read like row_to_json', async (t) => {
  const logical = await logicalDatabase(t, 'audit_decoding');
  if (!logical) return;
  const { client, slot } = logical;
  await client.query(`
    CREATE TYPE decoding_mood AS ENUM ('calm', 'busy');
    CREATE DOMAIN decoding_label AS text;
    CREATE TABLE decoding_row (
      id int PRIMARY KEY, big bigint, flag boolean, amount numeric, ratio float8, name text, ref uuid, doc jsonb, raw json,
      at timestamptz, local_at timestamp, day date, tags text[], counts int[], docs jsonb[], mood decoding_mood, span interval,
      bytes bytea, label decoding_label, long_text text);
    ALTER TABLE decoding_row REPLICA IDENTITY FULL;
    -- Out of line and uncompressed: an update that leaves it alone sends it as 'unchanged TOAST'.
    ALTER TABLE decoding_row ALTER COLUMN long_text SET STORAGE EXTERNAL;
    CREATE PUBLICATION decoding_pub FOR TABLE decoding_row;`);
  await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);

  const snapshot = async (id: number) =>
    (await client.query('SELECT row_to_json(r) AS row FROM decoding_row r WHERE id = $1', [id])).rows[0]?.row as Record<string, unknown>;
  await client.query('BEGIN');
  await client.query(`
    INSERT INTO decoding_row VALUES
      (1, 9007199254740991, true, 1.50, 'NaN', 'first, "quoted"', 'b1a4c1de-0000-4000-8000-000000000001', '{"b": [1, 2], "a": {"x": null}}',
       '{"kept":  "as written"}', '2026-12-07 10:15:30.123456+00', '2026-12-07 10:15:30', '2026-12-07', '{"a b",NULL,c}', '{1,NULL,3}',
       ARRAY['{"k": 1}'::jsonb, '[true]'], 'busy', '1 day 02:00:00', '\\x00ff', 'domain text', repeat(md5('x'), 400)),
      (2, NULL, false, -0.001, 2.5e-7, NULL, NULL, NULL, NULL, '-infinity', NULL, NULL, '{}', '{{1,2},{3,4}}', NULL, 'calm', NULL, NULL, NULL, NULL)`);
  await client.query(`SELECT pg_logical_emit_message(true, 'itops.test', '{"who": "first"}')`);
  await client.query('COMMIT');
  const [inserted1, inserted2] = [await snapshot(1), await snapshot(2)];
  await client.query('BEGIN');
  await client.query(`INSERT INTO decoding_row (id, name) VALUES (3, 'rolled back')`);
  await client.query('ROLLBACK');
  await client.query(`UPDATE decoding_row SET flag = false, tags = array_append(tags, 'd'), at = '2026-12-07 23:59:59+05:30' WHERE id = 1`);
  const updated1 = await snapshot(1);
  await client.query('DELETE FROM decoding_row WHERE id = 2');

  for (const zone of ['Asia/Kolkata', 'UTC']) {
    await client.query(`SET TimeZone = '${zone}'`);
    const decoder = new PgoutputDecoder(await columnTypes((sql, params) => client.query(sql, params).then((r) => r.rows)));
    const { rows } = await client.query(
      `SELECT xid::text AS xid, data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,
         'proto_version', '1', 'publication_names', 'decoding_pub', 'messages', 'true')`,
      [slot],
    );
    const transactions = decoder.decode(rows);
    t.equal(transactions.length, 3, `${zone}: three committed transactions, the rolled-back one absent`);
    const [first, second, third] = transactions;
    // row_to_json in this zone for what is there now; the earlier states were read in the server's zone.
    const rezoned = async (row: Record<string, unknown>) =>
      (await client.query('SELECT row_to_json(r) AS row FROM json_populate_record(NULL::decoding_row, $1) r', [JSON.stringify(row)])).rows[0].row;
    t.strictSame(
      first.changes,
      [
        { table: 'decoding_row', op: 'insert', before: null, after: await rezoned(inserted1) },
        { table: 'decoding_row', op: 'insert', before: null, after: await rezoned(inserted2) },
      ],
      `${zone}: inserted rows`,
    );
    t.strictSame(first.messages, [{ prefix: 'itops.test', content: '{"who": "first"}' }], `${zone}: the transaction's message`);
    t.strictSame(
      second.changes,
      [{ table: 'decoding_row', op: 'update', before: await rezoned(inserted1), after: await rezoned(updated1) }],
      `${zone}: the update with its old row, the unchanged long text included`,
    );
    t.strictSame(third.changes, [{ table: 'decoding_row', op: 'delete', before: await rezoned(inserted2), after: null }], `${zone}: the deleted row`);
    t.strictSame(await rezoned(updated1), await snapshot(1), `${zone}: a row read back through its type is what row_to_json gives now`);
  }

  const decoder = new PgoutputDecoder(await columnTypes((sql, params) => client.query(sql, params).then((r) => r.rows)));
  const { rows } = await client.query(
    `SELECT xid::text AS xid, data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL,
       'proto_version', '1', 'publication_names', 'decoding_pub', 'messages', 'true')`,
    [slot],
  );
  const [withMessage, ...others] = decoder.decode(rows, 'itops.test');
  t.equal(others.length, 0, 'only the transaction with a message of the prefix asked for');
  t.equal(withMessage.changes.length, 2, 'its rows decoded');
  t.same(decoder.decode(rows, 'itops.other'), [], 'none has a message of another prefix');
  const [{ committed }] = (await client.query(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS committed`)).rows;
  t.match(withMessage.committedAt, new RegExp(`^${committed}T\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$`), 'its commit time, to the microsecond');
  t.ok(Math.abs(Date.parse(withMessage.committedAt as string) - Date.now()) < 600_000, 'about now');
});
