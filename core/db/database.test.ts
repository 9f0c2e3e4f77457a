import { pino } from 'pino';
import t from 'tap';
import { spyOnQueries } from '../testing/query-spy.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { Database, numberedPlaceholders } from './database.ts';

const testDb = await cloneTestDatabase();
const database = new Database(testDb.url, 2, pino({ level: 'silent' }));
t.teardown(async () => {
  await database.close();
  await testDb.drop();
});

t.test('`?` placeholders become $n outside quoted text', async (t) => {
  t.equal(numberedPlaceholders("SELECT ?, '?', \"a?\", ? WHERE x = 'it''s ?'"), "SELECT $1, '?', \"a?\", $2 WHERE x = 'it''s ?'");
  t.equal(numberedPlaceholders("-- isn't it?\nSELECT ? /* or? */"), "-- isn't it?\nSELECT $1 /* or? */", 'comments keep their ? and quotes');
  t.equal(
    numberedPlaceholders("DO $$ BEGIN PERFORM 'a' ~ '^x?$'; END $$; SELECT $tag$?$tag$, ?"),
    "DO $$ BEGIN PERFORM 'a' ~ '^x?$'; END $$; SELECT $tag$?$tag$, $1",
    'dollar quotes too',
  );
});

t.test('a prepared statement runs many times on every pooled connection, with its own parameters each time', async (t) => {
  await database.query('CREATE TABLE prepared_probe (id int PRIMARY KEY, label text)');
  const insert = database.platform.statement<{ id: number }>('INSERT INTO prepared_probe (id, label) VALUES (?, ?) RETURNING id');
  const select = database.platform.statement<{ label: string | null }>('SELECT label FROM prepared_probe WHERE id = ?');
  // More calls at once than the pool has connections: each connection prepares the statement once.
  const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => insert([i, i % 2 ? `odd ${i}` : undefined])));
  t.same(
    ids.map(([row]) => row.id),
    Array.from({ length: 20 }, (_, i) => i),
  );
  t.same(await select([3]), [{ label: 'odd 3' }]);
  t.same(await select([4]), [{ label: null }], 'undefined binds as NULL, as with query');
  t.same(await select([99]), []);
  const [{ count }] = await database.query<{ count: string }>("SELECT count(*) AS count FROM pg_prepared_statements WHERE name LIKE 'itops_%'");
  t.ok(Number(count) >= 1, 'the statement is prepared on the server');
  await t.rejects(insert([1, 'again']), { code: '23505' }, 'errors are the database’s own');
  t.same(await select([1]), [{ label: 'odd 1' }], 'and the statement still works after one');
});

t.test("a transaction's prepared statement is part of the transaction: it commits or rolls back with it", async (t) => {
  await database.query('CREATE TABLE prepared_tx_probe (id int PRIMARY KEY)');
  const sql = 'INSERT INTO prepared_tx_probe (id) VALUES (?) RETURNING id';
  t.same(await database.platform.transaction((tx) => tx.statement<{ id: number }>(sql)([1])), [{ id: 1 }]);
  await t.rejects(
    database.platform.transaction(async (tx) => {
      await tx.statement(sql)([2]);
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  // Again on the connection that prepared it, and once more in a transaction that fails on it.
  await database.platform.transaction((tx) => tx.statement(sql)([3]));
  await t.rejects(
    database.platform.transaction((tx) => tx.statement(sql)([1])),
    { code: '23505' },
  );
  const rows = await database.query<{ id: number }>('SELECT id FROM prepared_tx_probe ORDER BY id');
  t.same(
    rows.map((r) => r.id),
    [1, 3],
    'the committed rows only',
  );
});

t.test('arrays bind as the same PostgreSQL arrays pg would send, whatever their strings hold', async (t) => {
  const strings = ['plain', '', 'NULL', 'null', 'with space', ' padded ', 'a,b', '{braces}', 'quote "here"', 'back\\slash', '\\"', 'ünïcode ✓', 'new\nline'];
  const [text] = await database.query<{ a: string[] }>('SELECT ?::text[] AS a', [strings]);
  t.same(text.a, strings, 'text[]');
  const numbers = [0, -1, 1.5, 1e21, 1e-7, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const [floats] = await database.query<{ a: number[] }>('SELECT ?::float8[] AS a', [numbers]);
  t.same(floats.a, numbers, 'float8[]');
  const [mixed] = await database.query<{ b: boolean[]; n: (number | null)[]; j: unknown[] }>('SELECT ?::bool[] AS b, ?::int[] AS n, ?::jsonb[] AS j', [
    [true, false, null],
    [1, null, undefined, 3],
    ['{"a":"\\"x\\""}', null],
  ]);
  t.same(mixed, { b: [true, false, null], n: [1, null, null, 3], j: [{ a: '"x"' }, null] }, 'bool[], int[] with nulls, jsonb[]');
  const [empty] = await database.query<{ a: string[] }>('SELECT ?::text[] AS a', [[]]);
  t.same(empty.a, []);
  const when = new Date('2026-01-02T03:04:05.678Z');
  const [dated] = await database.query<{ a: string[] }>('SELECT ?::timestamptz[] AS a', [[when]]);
  t.equal(new Date(dated.a[0]).getTime(), when.getTime(), 'an array of dates is left to pg');
  const [nested] = await database.query<{ a: number[][] }>('SELECT ?::int[] AS a', [
    [
      [1, 2],
      [3, 4],
    ],
  ]);
  t.same(
    nested.a,
    [
      [1, 2],
      [3, 4],
    ],
    'and a nested one too',
  );
});

t.test("a transaction's first statement travels with its BEGIN, its values read as if bound", async (t) => {
  await database.query(
    'CREATE TABLE first_statement_probe (id serial PRIMARY KEY, label text, at timestamptz, doc jsonb, tags text[], raw bytea, flag boolean, n numeric)',
  );
  const values = ['it\'s \\ "quoted"', new Date('2026-01-02T03:04:05.678Z'), { a: [1, "b'"] }, ['x', 'y z'], Buffer.from([0, 1, 255]), true, -12.5];
  const insert = 'INSERT INTO first_statement_probe (label, at, doc, tags, raw, flag, n) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *';
  const columns = 'label, at, doc, tags, raw, flag, n';
  let sent: string[] = [];
  const [first] = await database.platform.transaction(async (tx) => {
    const spy = spyOnQueries();
    sent = spy.sent;
    try {
      return await tx.query<Record<string, unknown>>(insert, values);
    } finally {
      spy.restore();
    }
  });
  const [bound] = await database.query<Record<string, unknown>>(`${insert.replace(' RETURNING *', '')} RETURNING *`, values);
  const read = `SELECT ${columns} FROM first_statement_probe WHERE id = ?`;
  t.same(await database.query(read, [first.id]), await database.query(read, [bound.id]), 'inlined and bound values store the same');
  t.equal(sent.length, 1, 'BEGIN and the INSERT went in one query');
  t.match(sent[0], /^BEGIN;\n/);

  // A value no query text can carry is bound as usual, after a BEGIN of its own; PostgreSQL refuses it.
  await t.rejects(
    database.platform.transaction((tx) => tx.query('INSERT INTO first_statement_probe (label) VALUES (?)', ['nul\0here'])),
    { code: '22021' },
  );
  // A first statement that fails rolls the transaction back; the connection serves the next one.
  await t.rejects(
    database.platform.transaction((tx) => tx.query('INSERT INTO first_statement_probe (id, label) VALUES (?, ?)', [first.id, 'dup'])),
    { code: '23505' },
  );
  const [{ count }] = await database.query<{ count: string }>('SELECT count(*) AS count FROM first_statement_probe');
  t.equal(Number(count), 2);
  await database.platform.transaction(async (tx) => {
    t.same(await tx.query('SELECT count(*)::int AS n FROM first_statement_probe WHERE label = ?', ['dup']), [{ n: 0 }]);
  });
});
