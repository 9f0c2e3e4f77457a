import t from 'tap';
import { definePlugin, tokens } from '../plugin-api/index.ts';
import { startTestServer } from '../plugin-api/testing.ts';
import { spyOnQueries } from '../testing/query-spy.ts';

/** What both probe plugins' create answers. */
const createdResponses = {
  '201': { description: 'created', content: { 'application/json': { schema: { type: 'object' } } } },
  '400': { $ref: '#/components/responses/BadRequest' },
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/Forbidden' },
};

/**
 * A plugin that observes mutations the two ways the API offers: reading the changes in JavaScript
 * and writing them back with the COMMIT. `fail` in a change's name makes its COMMIT statement fail.
 */
const observer = definePlugin({
  id: 'observerprobe',
  version: '1.0.0',
  host: '*',
  observesMutations: true,
  migrations: [
    {
      name: '0001-notes',
      up: `CREATE TABLE observerprobe_note (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id text NOT NULL, name text NOT NULL, meta json);
           CREATE TABLE observerprobe_seen (id bigserial PRIMARY KEY, tenant_id text NOT NULL, operation text, tables text NOT NULL, names text, dropped int);`,
    },
  ],
  openapi: {
    paths: {
      '/api/v1/observer-probe/notes': {
        post: {
          operationId: 'observerProbeCreateNote',
          'x-permission': 'observerprobe:write',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['name'],
                  additionalProperties: false,
                  properties: {
                    name: { type: 'string', maxLength: 100 },
                    // Three notes in one transaction, the second undone by a rollback to a savepoint.
                    savepoint: { type: 'boolean' },
                    // That many notes in one statement.
                    many: { type: 'integer', minimum: 1, maximum: 200 },
                    // Each note with a json value written over several lines.
                    multiline: { type: 'boolean' },
                  },
                },
              },
            },
          },
          responses: createdResponses,
        },
      },
    },
  },
  permissions: [{ name: 'observerprobe:write', description: 'Write probe notes' }],
  policies: [{ role: 'ops_engineer', permission: 'observerprobe:write' }],
  init(ctx) {
    const database = ctx.get(tokens.database);
    ctx.handle('observerProbeCreateNote', async (req) => {
      const { name, savepoint, many, multiline } = req.body as { name: string; savepoint?: boolean; many?: number; multiline?: boolean };
      const db = database.forTenant(req.tenantId as string);
      const insert = 'INSERT INTO observerprobe_note (tenant_id, name, meta) VALUES (?, ?, ?::json)';
      const meta = multiline ? '{"lines":\n  ["a",\n   "b"]}' : null;
      if (savepoint) {
        await db.transaction(async (tx) => {
          await tx.query(insert, [req.tenantId, `${name} 1`, meta]);
          await tx.query('SAVEPOINT probe');
          await tx.query(insert, [req.tenantId, `${name} 2`, meta]);
          await tx.query('ROLLBACK TO SAVEPOINT probe');
          await tx.query(insert, [req.tenantId, `${name} 3`, meta]);
        });
      } else if (many) {
        await db.query("INSERT INTO observerprobe_note (tenant_id, name) SELECT ?, ? || ' ' || i FROM generate_series(1, ?::int) i", [
          req.tenantId,
          name,
          many,
        ]);
      } else await db.query(insert, [req.tenantId, name, meta]);
      return { status: 201, body: { name } };
    });
    ctx.observeMutations(async (tx, mutation) => {
      if (!mutation.captured || !tx.tenantId) return;
      const { changes, dropped } = await mutation.readChanges();
      const again = await mutation.readChanges();
      if (again.changes !== changes) throw new Error('readChanges read twice');
      if (changes.some((change) => change.after?.name === 'commit only')) {
        // As the audit plugin does: nothing written before the COMMIT, two statements with it.
        tx.atCommit('INSERT INTO observerprobe_seen (tenant_id, operation, tables) VALUES (?, ?, ?)', [tx.tenantId, 'commit-only', 'first']);
        tx.atCommit(
          `INSERT INTO observerprobe_seen (tenant_id, operation, tables)
           SELECT ?, ?, string_agg(DISTINCT change ->> 'table', ',') FROM itops_captured_changes()`,
          [tx.tenantId, 'commit-only'],
        );
        return;
      }
      // Written through the observer's own handle: not a change of the mutation.
      await tx.query('INSERT INTO observerprobe_seen (tenant_id, operation, tables, names, dropped) VALUES (?, ?, ?, ?, ?)', [
        tx.tenantId,
        'js',
        [...new Set(changes.map((c) => c.table))].join(','),
        changes.map((c) => c.after?.name).join(','),
        dropped,
      ]);
      const failing = changes.some((change) => String(change.after?.name ?? '').includes('fail'));
      tx.atCommit(
        failing
          ? 'INSERT INTO observerprobe_seen (tenant_id, operation, tables) VALUES (?, ?, NULL)'
          : `INSERT INTO observerprobe_seen (tenant_id, operation, tables)
             SELECT ?, ?, string_agg(DISTINCT change ->> 'table', ',') FROM itops_captured_changes()`,
        [tx.tenantId, mutation.operationId],
      );
    });
  },
});

t.test('an observer reads the changes once, writes with the COMMIT, and a failing COMMIT statement rolls the change back', async (t) => {
  const server = await startTestServer(t, { plugins: [observer] });
  const ops = await server.loginAs('ops_engineer');
  const created = await server.call('POST', '/api/v1/observer-probe/notes', { headers: ops.headers, body: { name: "O'Brien's \\ note" } });
  t.equal(created.status, 201);
  const seen = await server.database.platform.query<{ operation: string; tables: string }>('SELECT operation, tables FROM observerprobe_seen ORDER BY id');
  t.same(
    seen,
    [
      { operation: 'js', tables: 'observerprobe_note' },
      { operation: 'observerProbeCreateNote', tables: 'observerprobe_note' },
    ],
    'the COMMIT statement saw the same changes, and not the observer’s own write',
  );

  const refused = await server.call('POST', '/api/v1/observer-probe/notes', { headers: ops.headers, body: { name: 'please fail' } });
  t.equal(refused.status, 500, 'the failing statement fails the request');
  const [notes] = await server.database.platform.query<{ n: number }>("SELECT count(*)::int AS n FROM observerprobe_note WHERE name = 'please fail'");
  t.equal(notes.n, 0, 'the change rolled back with it');
  const [after] = await server.database.platform.query<{ n: number }>('SELECT count(*)::int AS n FROM observerprobe_seen');
  t.equal(after.n, 2, 'and so did the observer’s own write');
});

t.test('the rows reach the observer with the statements that changed them, unless a savepoint undid one', async (t) => {
  const server = await startTestServer(t, { plugins: [observer] });
  const ops = await server.loginAs('ops_engineer');
  const { sent, restore } = spyOnQueries();
  t.teardown(restore);
  const reads = () => sent.filter((text) => text.includes("current_setting('itops.changes', true) AS changes")).length;
  const seen = async (operation: string) =>
    (
      await server.database.platform.query<{ names: string; dropped: number }>(
        'SELECT names, dropped FROM observerprobe_seen WHERE operation = ? ORDER BY id DESC LIMIT 1',
        [operation],
      )
    )[0];

  t.equal((await server.call('POST', '/api/v1/observer-probe/notes', { headers: ops.headers, body: { name: 'heard' } })).status, 201);
  t.same(await seen('js'), { names: 'heard', dropped: 0 });
  t.equal(reads(), 0, 'the observer read no rows from the database: the notices brought them');

  t.equal((await server.call('POST', '/api/v1/observer-probe/notes', { headers: ops.headers, body: { name: 'saved', savepoint: true } })).status, 201);
  t.same(await seen('js'), { names: 'saved 1,saved 3', dropped: 0 }, 'the row the savepoint undid is not among the changes');
  t.equal(reads(), 1, 'after a rollback to a savepoint the rows are read from the database');
  const [commitTables] = await server.database.platform.query<{ tables: string }>(
    "SELECT tables FROM observerprobe_seen WHERE operation = 'observerProbeCreateNote' ORDER BY id DESC LIMIT 1",
  );
  t.equal(commitTables.tables, 'observerprobe_note');

  t.equal((await server.call('POST', '/api/v1/observer-probe/notes', { headers: ops.headers, body: { name: 'bulk', many: 103 } })).status, 201);
  const bulk = await seen('js');
  t.equal(bulk.names.split(',').length, 100, 'the capture keeps 100 rows');
  t.equal(bulk.dropped, 3, 'and counts the rest, read from the database');
  t.equal(reads(), 2);
});

t.test('an observer that writes only with the COMMIT: its statements are not captured', async (t) => {
  const server = await startTestServer(t, { plugins: [observer] });
  const ops = await server.loginAs('ops_engineer');
  const { sent, restore } = spyOnQueries();
  t.teardown(restore);
  t.equal((await server.call('POST', '/api/v1/observer-probe/notes', { headers: ops.headers, body: { name: 'commit only' } })).status, 201);
  const commit = sent.find((text) => text.includes('INSERT INTO observerprobe_seen'));
  // The rows came with the notices, so the COMMIT checks their count, which switches capture off too.
  // The observer's statements are bound, not inlined: sent as one pipeline with the COMMIT.
  t.match(
    commit,
    /^SELECT itops_check_captured\(\$1::integer\);\nINSERT INTO observerprobe_seen \(tenant_id, operation, tables\) VALUES \(\$1, \$2, \$3\);\n[\s\S]*;\nCOMMIT$/,
    'one statement ahead of the observer’s, and the COMMIT after them',
  );
  const seen = await server.database.platform.query<{ tables: string }>("SELECT tables FROM observerprobe_seen WHERE operation = 'commit-only' ORDER BY id");
  t.same(seen, [{ tables: 'first' }, { tables: 'observerprobe_note' }], 'the second statement saw the request’s row, not the first one’s');
});

t.test('a json value written over several lines is still one captured row, from the notices and from the database', async (t) => {
  const server = await startTestServer(t, { plugins: [observer] });
  const ops = await server.loginAs('ops_engineer');
  const latest = async (operation: string) =>
    (
      await server.database.platform.query<{ tables: string; names: string }>(
        'SELECT tables, names FROM observerprobe_seen WHERE operation = ? ORDER BY id DESC LIMIT 1',
        [operation],
      )
    )[0];
  // Captured rows are kept one per line (change-capture.ts): a json column is copied as written.
  for (const body of [
    { name: 'lines', multiline: true },
    { name: 'lines', multiline: true, savepoint: true },
  ]) {
    const created = await server.call('POST', '/api/v1/observer-probe/notes', { headers: ops.headers, body });
    t.equal(created.status, 201, JSON.stringify(body));
    t.same(await latest('js'), { tables: 'observerprobe_note', names: body.savepoint ? 'lines 1,lines 3' : 'lines' }, 'read in JavaScript');
    t.same(await latest('observerProbeCreateNote'), { tables: 'observerprobe_note', names: null }, 'and in SQL with the COMMIT');
  }
  const [stored] = await server.database.platform.query<{ meta: unknown }>("SELECT meta FROM observerprobe_note WHERE name = 'lines'");
  t.same(stored.meta, { lines: ['a', 'b'] });
});

/** An observer that reads no rows: who changed what, with the COMMIT, and nothing captured. */
const rowless = definePlugin({
  id: 'rowlessprobe',
  version: '1.0.0',
  host: '*',
  observesMutations: true,
  migrations: [
    {
      name: '0001-notes',
      up: `CREATE TABLE rowlessprobe_note (id bigserial PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL);
           CREATE TABLE rowlessprobe_seen (id bigserial PRIMARY KEY, tenant_id text NOT NULL, operation text, principal text, captured boolean, mutating boolean);`,
    },
  ],
  openapi: {
    paths: {
      '/api/v1/rowless-probe/notes': {
        post: {
          operationId: 'rowlessProbeCreateNote',
          'x-permission': 'rowlessprobe:write',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 } } },
              },
            },
          },
          responses: createdResponses,
        },
      },
    },
  },
  permissions: [{ name: 'rowlessprobe:write', description: 'Write probe notes' }],
  policies: [{ role: 'ops_engineer', permission: 'rowlessprobe:write' }],
  init(ctx) {
    const database = ctx.get(tokens.database);
    ctx.handle('rowlessProbeCreateNote', async (req) => {
      // A lone statement: it still runs in a transaction of its own, which the observer sees.
      await database
        .forTenant(req.tenantId as string)
        .query('INSERT INTO rowlessprobe_note (tenant_id, name) VALUES (?, ?)', [req.tenantId, (req.body as { name: string }).name]);
      return { status: 201, body: {} };
    });
    ctx.observeMutations(
      async (tx, mutation) => {
        if (!tx.tenantId || !mutation.operationId) return;
        const { changes } = await mutation.readChanges();
        tx.atCommit('INSERT INTO rowlessprobe_seen (tenant_id, operation, principal, captured, mutating) VALUES (?, ?, ?, ?, ?)', [
          tx.tenantId,
          mutation.operationId,
          mutation.principal?.id ?? null,
          mutation.captured || changes.length > 0,
          mutation.mutating,
        ]);
      },
      { rows: false },
    );
  },
});

t.test('an observer that reads no rows sees every mutating request, and nothing is captured for it', async (t) => {
  const server = await startTestServer(t, { plugins: [rowless] });
  const ops = await server.loginAs('ops_engineer');
  const { sent, restore } = spyOnQueries();
  t.teardown(restore);
  t.equal((await server.call('POST', '/api/v1/rowless-probe/notes', { headers: ops.headers, body: { name: 'seen' } })).status, 201);
  restore();
  const seen = await server.database.platform.query('SELECT operation, principal, captured, mutating FROM rowlessprobe_seen ORDER BY id');
  t.same(
    seen,
    [{ operation: 'rowlessProbeCreateNote', principal: ops.id, captured: false, mutating: true }],
    'the request, its caller, no rows; a mutating one',
  );
  t.notOk(
    sent.some((text) => text.includes('itops.capture') || text.includes('itops_check_captured')),
    'no statement switched row capture on or checked it',
  );
  t.ok(
    sent.some((text) => /^BEGIN;\nINSERT INTO rowlessprobe_note/.test(text)),
    'the lone statement ran in a transaction of its own',
  );

  // With an observer that reads rows beside it, rows are captured again.
  const both = await startTestServer(t, { plugins: [rowless, observer] });
  const bothOps = await both.loginAs('ops_engineer');
  const spied = spyOnQueries();
  t.teardown(spied.restore);
  t.equal((await both.call('POST', '/api/v1/rowless-probe/notes', { headers: bothOps.headers, body: { name: 'both' } })).status, 201);
  spied.restore();
  t.ok(
    spied.sent.some((text) => text.includes("SET LOCAL itops.capture = 'on'")),
    'capture is on while one observer reads rows',
  );
  const [row] = await both.database.platform.query<{ captured: boolean }>('SELECT captured FROM rowlessprobe_seen');
  t.equal(row.captured, true, 'and every observer is offered them');
});
