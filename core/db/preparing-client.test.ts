import { pino } from 'pino';
import t from 'tap';
import { spyOnQueries } from '../testing/query-spy.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { Database } from './database.ts';
import { PreparingClient, schemaChanged } from './preparing-client.ts';

// One connection per pool, so every statement below runs on the connection it prepared on.
const testDb = await cloneTestDatabase();
const database = new Database(testDb.url, 1, pino({ level: 'silent' }));
t.teardown(async () => {
  await database.close();
  await testDb.drop();
});

const preparedOnConnection = (text: string) =>
  database.platform.transaction((tx) => tx.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = ? -- probe', [text]));

t.test('a statement run again and again becomes a prepared statement of its connection, with the same answers', async (t) => {
  const sql = 'SELECT ?::int * 2 AS doubled';
  const answers: number[] = [];
  for (let i = 1; i <= 6; i++) answers.push((await database.platform.query<{ doubled: number }>(sql, [i]))[0].doubled);
  t.same(answers, [2, 4, 6, 8, 10, 12]);
  t.same(await preparedOnConnection('SELECT $1::int * 2 AS doubled'), [{ n: 1 }], 'prepared once on the connection');

  // pg-boss inlines its queue's name into its fetch: a lone statement without parameters is prepared too.
  const literal = "SELECT 'inlined'::text AS word";
  for (let i = 0; i < 4; i++) t.same(await database.platform.query(literal), [{ word: 'inlined' }]);
  t.same(await preparedOnConnection(literal), [{ n: 1 }], 'a lone statement without parameters too');
  const several = "SELECT 'one'::text AS word; SELECT 'two'::text AS word";
  for (let i = 0; i < 4; i++) await database.platform.query(several);
  t.same(await preparedOnConnection(several), [{ n: 0 }], 'several statements in one text run as a simple query');

  const once = 'SELECT ?::int * 3 AS tripled -- run once';
  await database.platform.query(once, [1]);
  t.same(await preparedOnConnection('SELECT $1::int * 3 AS tripled -- run once'), [{ n: 0 }], 'a statement seen once is not');
});

t.test('a statement binding a long array is planned with its values: the plan can hash the array', async (t) => {
  const sql = 'SELECT count(*)::int AS n FROM generate_series(1, 20) AS g(i) WHERE i = ANY(?::int[])';
  const long = Array.from({ length: 12 }, (_, i) => i + 1);
  for (let i = 0; i < 6; i++) t.same(await database.platform.query(sql, [long]), [{ n: 12 }]);
  t.same(await preparedOnConnection('SELECT count(*)::int AS n FROM generate_series(1, 20) AS g(i) WHERE i = ANY($1::int[])'), [{ n: 0 }], 'not prepared');
  // pg-boss binds its arrays as arrays (ours are written as literals first): the same for both.
  const client = new PreparingClient({ connectionString: testDb.url });
  await client.connect();
  try {
    const raw = 'SELECT count(*)::int AS n FROM generate_series(1, 20) AS g(i) WHERE i = ANY($1::int[]) -- raw';
    for (let i = 0; i < 6; i++) t.same((await client.query(raw, [long])).rows, [{ n: 12 }]);
    const prepared = await client.query('SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1', [raw]);
    t.same(prepared.rows, [{ n: 0 }], 'nor when the array comes as an array');
  } finally {
    await client.end();
  }

  const short = 'SELECT count(*)::int AS n FROM generate_series(1, 20) AS g(i) WHERE i = ANY(?::int[]) -- short';
  for (let i = 0; i < 6; i++) t.same(await database.platform.query(short, [[1, 2, 3]]), [{ n: 3 }]);
  t.same(await preparedOnConnection(short.replace('?', '$1')), [{ n: 1 }], 'a short array is prepared like any value');
});

t.test("a prepared first statement goes in one write with its transaction's BEGIN, and belongs to the transaction", async (t) => {
  await database.query('CREATE TABLE opened_probe (id int PRIMARY KEY, label text)');
  const insert = 'INSERT INTO opened_probe (id, label) VALUES (?, ?) RETURNING id';
  for (let id = 1; id <= 4; id++) await database.platform.transaction((tx) => tx.query(insert, [id, `row ${id}`]));

  const spy = spyOnQueries();
  let rows: unknown[];
  try {
    rows = await database.platform.transaction((tx) => tx.query(insert, [5, 'row 5']));
  } finally {
    spy.restore();
  }
  t.same(rows, [{ id: 5 }]);
  t.same(
    spy.sent,
    ['BEGIN;\nINSERT INTO opened_probe (id, label) VALUES ($1, $2) RETURNING id', 'COMMIT'],
    'no BEGIN of its own: it went ahead of the INSERT, in one write',
  );

  await t.rejects(
    database.platform.transaction(async (tx) => {
      await tx.query(insert, [6, 'row 6']);
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  // A first statement that fails rolls the transaction back; the connection serves the next one.
  await t.rejects(
    database.platform.transaction((tx) => tx.query(insert, [1, 'duplicate'])),
    { code: '23505' },
  );
  await database.platform.transaction((tx) => tx.query(insert, [7, 'row 7']));
  t.same(
    (await database.query<{ id: number }>('SELECT id FROM opened_probe ORDER BY id')).map((r) => r.id),
    [1, 2, 3, 4, 5, 7],
  );
});

t.test('statements sent as one pipeline: prepared once per connection, answered in order, and a failure stops at its statement', async (t) => {
  const client = new PreparingClient({ connectionString: testDb.url });
  await client.connect();
  t.teardown(() => client.end());
  await client.query('CREATE TABLE pipeline_probe (id int PRIMARY KEY, label text)');
  const step = (text: string, values: unknown[] = []) => ({ text, values });
  const insert = 'INSERT INTO pipeline_probe (id, label) VALUES ($1, $2)';
  const count = 'SELECT count(*)::int AS n FROM pipeline_probe WHERE label = $1';
  for (let id = 1; id <= 4; id++) {
    const results = await client.queryPipelined([step('BEGIN'), step(insert, [id, `row ${id}`]), step(count, [`row ${id}`]), step('COMMIT')]);
    t.same(
      results.map((result) => result.command),
      ['BEGIN', 'INSERT', 'SELECT', 'COMMIT'],
    );
    t.same(results[2].rows, [{ n: 1 }], 'each statement answers with its own result');
  }
  const preparedTexts = async () =>
    (await client.query('SELECT statement FROM pg_prepared_statements ORDER BY statement')).rows.map((row: { statement: string }) => row.statement);
  t.same(await preparedTexts(), [insert, count].sort(), 'the statements with values were prepared once on the connection; BEGIN and COMMIT not');

  // Two statements seen twice: the third time both are due to be prepared, in a pipeline that fails
  // between them. The first was parsed before the failure, the second never reached the server.
  const before = 'SELECT $1::int + 1 AS n -- before the failure';
  const after = 'SELECT $1::int + 2 AS n -- after the failure';
  for (let i = 0; i < 2; i++) {
    await client.query(before, [1]);
    await client.query(after, [1]);
  }
  await t.rejects(
    client.queryPipelined([step('BEGIN'), step(before, [1]), step(insert, [1, 'duplicate']), step(after, [1]), step(insert, [9, 'row 9']), step('COMMIT')]),
    { code: '23505' },
  );
  await client.query('ROLLBACK');
  t.same((await client.query('SELECT id FROM pipeline_probe ORDER BY id')).rows, [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }], 'nothing after the failure ran');
  // Neither parsed twice (42P05) nor taken as parsed when it was not (26000).
  const next = await client.queryPipelined([step(before, [10]), step(after, [10])]);
  t.same(
    next.map((result) => result.rows),
    [[{ n: 11 }], [{ n: 12 }]],
    'the connection knows which of them it prepared',
  );
  t.same(await preparedTexts(), [insert, count, before, after].sort());

  // As for a lone statement, one binding a long array is planned with its values, never prepared.
  const long = 'SELECT count(*)::int AS n FROM generate_series(1, 20) AS g(i) WHERE i = ANY($1::int[]) -- pipelined';
  for (let i = 0; i < 4; i++) t.same((await client.queryPipelined([step(long, [Array.from({ length: 12 }, (_, j) => j + 1)])]))[0].rows, [{ n: 12 }]);
  t.notOk((await preparedTexts()).includes(long), 'a long array keeps its statement unprepared in a pipeline too');

  // A value that cannot be bound fails before anything is sent.
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await t.rejects(client.queryPipelined([step('BEGIN'), step(insert, [5, 'row 5']), step(count, [cyclic])]), /circular|cyclic/i);
  t.same((await client.query('SELECT count(*)::int AS n FROM pipeline_probe')).rows, [{ n: 4 }], 'not even the statements before it');
});

t.test('a statement that fails to prepare is prepared again once it can be', async (t) => {
  const select = 'SELECT label FROM later_probe WHERE id = ?';
  for (let i = 0; i < 4; i++) {
    await t.rejects(
      database.platform.transaction((tx) => tx.query(select, [1])),
      { code: '42P01' },
    );
    await t.rejects(database.platform.query(select, [1]), { code: '42P01' });
  }
  await database.query("CREATE TABLE later_probe (id int PRIMARY KEY, label text); INSERT INTO later_probe VALUES (1, 'here')");
  t.same(await database.platform.transaction((tx) => tx.query(select, [1])), [{ label: 'here' }]);
  t.same(await database.platform.query(select, [1]), [{ label: 'here' }]);
});

t.test('after a migration the connections prepare their statements anew, so a changed table reads right', async (t) => {
  await database.query("CREATE TABLE widened_probe (id int PRIMARY KEY, label text); INSERT INTO widened_probe VALUES (1, 'one')");
  const select = 'SELECT * FROM widened_probe WHERE id = ?';
  for (let i = 0; i < 5; i++) {
    await database.platform.query(select, [1]);
    await database.platform.transaction((tx) => tx.query(select, [1]));
  }
  await database.query("ALTER TABLE widened_probe ADD COLUMN colour text DEFAULT 'blue'");
  schemaChanged();
  t.same(await database.platform.query(select, [1]), [{ id: 1, label: 'one', colour: 'blue' }]);
  t.same(await database.platform.transaction((tx) => tx.query(select, [1])), [{ id: 1, label: 'one', colour: 'blue' }]);

  // Changed behind the platform's back (no migration of ours): the statement fails once, then runs unprepared.
  await database.query('ALTER TABLE widened_probe ADD COLUMN size int DEFAULT 3');
  const outcomes: string[] = [];
  for (let i = 0; i < 3; i++) {
    outcomes.push(
      await database.platform.query<Record<string, unknown>>(select, [1]).then(
        (rows) => JSON.stringify(rows[0]),
        (error: { code?: string }) => `error ${error.code}`,
      ),
    );
  }
  t.same(outcomes, ['error 0A000', '{"id":1,"label":"one","colour":"blue","size":3}', '{"id":1,"label":"one","colour":"blue","size":3}']);
});
