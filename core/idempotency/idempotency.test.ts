import { randomBytes } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { definePlugin } from '../plugin-api/index.ts';
import { call } from '../plugin-api/testing.ts';
import { Database } from '../db/database.ts';
import { ownSessionSql } from '../events/event-bus.ts';
import { createLogger } from '../logging/logger.ts';
import { eventually } from '../testing/eventually.ts';
import { login, startWorld } from '../testing/identity-fixtures.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';
import { MasterKeyring } from '../secrets/master-key.ts';
import { IdempotencyStore } from './idempotency-store.ts';

const tenantCount = async (kernel: { database: { query<T>(sql: string): Promise<T[]> } }) =>
  Number((await kernel.database.query<{ count: string }>('SELECT count(*) FROM tenant'))[0].count);

const needsKey = definePlugin({
  id: 'strict',
  version: '1.0.0',
  host: '*',
  openapi: {
    paths: {
      '/api/v1/strict/echo': {
        post: {
          operationId: 'strictEcho',
          'x-public': true,
          'x-idempotency': 'required',
          security: [],
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '200': { description: 'echo', content: { 'application/json': { schema: { type: 'object' } } } }, '400': { description: 'bad' } },
        },
      },
    },
  },
  init(ctx) {
    ctx.handle('strictEcho', (req) => ({ echoed: req.body }));
  },
});

t.test('a retry with the same key replays the first response', async (t) => {
  const { kernel, admin } = await startWorld(t);
  const headers = { ...admin.headers, 'idempotency-key': 'create-initech-1' };
  const first = await call(kernel, 'POST', '/api/v1/tenants', { headers, body: { tenant_id: 'initech', name: 'Initech' } });
  t.equal(first.status, 201);
  t.equal(first.headers.get('idempotent-replayed'), null);
  const again = await call(kernel, 'POST', '/api/v1/tenants', { headers, body: { name: 'Initech', tenant_id: 'initech' } });
  t.equal(again.status, 201, 'the same status');
  t.same(again.json, first.json, 'the same body');
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.equal(await tenantCount(kernel), 3, 'one tenant created');

  const other = await call(kernel, 'POST', '/api/v1/tenants', { headers, body: { tenant_id: 'initech', name: 'Something else' } });
  t.equal(other.status, 422, 'the same key with another body');
  t.equal(other.json.error.code, 'unprocessable');
});

t.test('fifty identical concurrent requests have exactly one effect', async (t) => {
  const { kernel, admin } = await startWorld(t);
  const headers = { ...admin.headers, 'idempotency-key': 'burst-1' };
  const responses = await Promise.all(
    Array.from({ length: 50 }, () => call(kernel, 'POST', '/api/v1/tenants', { headers, body: { tenant_id: 'burst', name: 'Burst' } })),
  );
  const statuses = responses.map((r) => r.status);
  t.ok(
    statuses.every((s) => s === 201 || s === 409),
    `only 201 (first or replayed) and 409 (still running): ${[...new Set(statuses)]}`,
  );
  t.equal(responses.filter((r) => r.status === 201 && !r.headers.get('idempotent-replayed')).length, 1, 'one execution');
  for (const conflict of responses.filter((r) => r.status === 409)) t.equal(conflict.json.error.code, 'conflict');
  t.equal(await tenantCount(kernel), 3);
});

t.test('validation failures are not stored; errors the handler chose are', async (t) => {
  const { kernel, admin } = await startWorld(t);
  const headers = { ...admin.headers, 'idempotency-key': 'fix-my-typo' };
  t.equal((await call(kernel, 'POST', '/api/v1/tenants', { headers, body: { tenant_id: 'Bad!', name: 'x' } })).status, 400);
  t.equal((await call(kernel, 'POST', '/api/v1/tenants', { headers, body: { tenant_id: 'fixed', name: 'Fixed' } })).status, 201, 'the corrected request runs');

  const dupHeaders = { ...admin.headers, 'idempotency-key': 'duplicate' };
  const conflict = await call(kernel, 'POST', '/api/v1/tenants', { headers: dupHeaders, body: { tenant_id: 'acme', name: 'Acme again' } });
  t.equal(conflict.status, 409);
  const replayed = await call(kernel, 'POST', '/api/v1/tenants', { headers: dupHeaders, body: { tenant_id: 'acme', name: 'Acme again' } });
  t.equal(replayed.status, 409);
  t.equal(replayed.headers.get('idempotent-replayed'), 'true');
  t.equal(replayed.json.error.message, conflict.json.error.message);
  t.type(replayed.json.error.correlationId, 'string', 'a replayed error keeps the standard format');
  t.not(replayed.json.error.correlationId, conflict.json.error.correlationId);
});

t.test('keys are scoped per principal', async (t) => {
  const { kernel, admin } = await startWorld(t);
  await call(kernel, 'POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'second-admin@itops.test', password: 'second admin password', platformAdmin: true },
  });
  const second = await login(kernel, 'second-admin@itops.test', 'second admin password');
  const body = { tenant_id: 'shared-key', name: 'Shared' };
  t.equal((await call(kernel, 'POST', '/api/v1/tenants', { headers: { ...admin.headers, 'idempotency-key': 'k1' }, body })).status, 201);
  const theirs = await call(kernel, 'POST', '/api/v1/tenants', { headers: { ...second.headers, 'idempotency-key': 'k1' }, body });
  t.equal(theirs.status, 409, "another principal's key runs on its own and meets the existing tenant");
  t.equal(theirs.headers.get('idempotent-replayed'), null, 'nothing is replayed across principals');
});

t.test('a required key is enforced and keys are bounded', async (t) => {
  const { kernel } = await startWorld(t, { plugins: [needsKey] });
  const missing = await call(kernel, 'POST', '/api/v1/strict/echo', { body: { a: 1 } });
  t.equal(missing.status, 400);
  t.match(missing.json.error.message, /requires an Idempotency-Key/);
  const ok = await call(kernel, 'POST', '/api/v1/strict/echo', { body: { a: 1 }, headers: { 'idempotency-key': 'e1' } });
  t.same(ok.json, { echoed: { a: 1 } });
  const tooLong = await call(kernel, 'POST', '/api/v1/strict/echo', { body: { a: 1 }, headers: { 'idempotency-key': 'k'.repeat(256) } });
  t.equal(tooLong.status, 400);
});

t.test('a key whose node died while running it runs again on retry; one whose node lives answers 409', async (t) => {
  const clone = await cloneTestDatabase();
  const database = new Database(clone.url, 2, createLogger('warn'));
  t.teardown(async () => {
    await database.close();
    await clone.drop();
  });
  // Two nodes' lasting sessions (their event listeners' in a server).
  const session = async () => {
    const client = new pg.Client({ connectionString: clone.url });
    await client.connect();
    t.teardown(() => client.end().catch(() => undefined));
    const [own] = (await client.query<{ pid: number; startedAt: string }>(ownSessionSql)).rows;
    return { client, own };
  };
  const [dying, surviving] = [await session(), await session()];
  const keyring = new MasterKeyring(randomBytes(32));
  const onDying = new IdempotencyStore(database.query, keyring, () => dying.own);
  const onSurviving = new IdempotencyStore(database.query, keyring, () => surviving.own);

  t.same(await onDying.claim('scope', 'key-1', 'hash'), { kind: 'new' });
  t.same(await onSurviving.claim('scope', 'key-1', 'hash'), { kind: 'in_progress' }, 'its node lives: still running');
  await dying.client.end();
  const taken = await eventually(async () => ((await onSurviving.claim('scope', 'key-1', 'hash')).kind === 'new' ? true : undefined), 10_000);
  t.ok(taken, 'its node gone, the retry takes the key over');
  t.same(await onDying.claim('scope', 'key-1', 'hash'), { kind: 'in_progress' }, 'and the new claim holds while its node lives');
  t.same(await onSurviving.claim('scope', 'key-1', 'another hash'), { kind: 'mismatch' }, 'another request with the key is still refused');

  // A claim made while the node had no lasting session is never taken over.
  const unnamed = new IdempotencyStore(database.query, keyring);
  t.same(await unnamed.claim('scope', 'key-2', 'hash'), { kind: 'new' });
  t.same(await onSurviving.claim('scope', 'key-2', 'hash'), { kind: 'in_progress' });
});
