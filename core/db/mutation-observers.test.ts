import t from 'tap';
import { definePlugin, tokens } from '../plugin-api/index.ts';
import { startTestServer } from '../plugin-api/testing.ts';

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
      up: `CREATE TABLE observerprobe_note (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), tenant_id text NOT NULL, name text NOT NULL);
           CREATE TABLE observerprobe_seen (id bigserial PRIMARY KEY, tenant_id text NOT NULL, operation text, tables text NOT NULL);`,
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
                schema: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 } } },
              },
            },
          },
          responses: {
            '201': { description: 'created', content: { 'application/json': { schema: { type: 'object' } } } },
            '400': { $ref: '#/components/responses/BadRequest' },
            '401': { $ref: '#/components/responses/Unauthorized' },
            '403': { $ref: '#/components/responses/Forbidden' },
          },
        },
      },
    },
  },
  permissions: [{ name: 'observerprobe:write', description: 'Write probe notes' }],
  policies: [{ role: 'ops_engineer', permission: 'observerprobe:write' }],
  init(ctx) {
    const database = ctx.get(tokens.database);
    ctx.handle('observerProbeCreateNote', async (req) => {
      const name = (req.body as { name: string }).name;
      await database.forTenant(req.tenantId as string).query('INSERT INTO observerprobe_note (tenant_id, name) VALUES (?, ?)', [req.tenantId, name]);
      return { status: 201, body: { name } };
    });
    ctx.observeMutations(async (tx, mutation) => {
      if (!mutation.captured || !tx.tenantId) return;
      const { changes } = await mutation.readChanges();
      const again = await mutation.readChanges();
      if (again.changes !== changes) throw new Error('readChanges read twice');
      // Written through the observer's own handle: not a change of the mutation.
      await tx.query('INSERT INTO observerprobe_seen (tenant_id, operation, tables) VALUES (?, ?, ?)', [
        tx.tenantId,
        'js',
        changes.map((c) => c.table).join(','),
      ]);
      const failing = changes.some((change) => String(change.after?.name ?? '').includes('fail'));
      tx.atCommit(
        failing
          ? 'INSERT INTO observerprobe_seen (tenant_id, operation, tables) VALUES (?, ?, NULL)'
          : `INSERT INTO observerprobe_seen (tenant_id, operation, tables)
             SELECT ?, ?, string_agg(change ->> 'table', ',' ORDER BY ordinal) FROM itops_captured_changes()`,
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
