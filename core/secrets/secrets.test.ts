import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { dumpAllRows, secretsProbePlugin, send } from './secrets.testkit.ts';

t.test('platform secrets: a platform admin sets them, lists show names and versions only', async (t) => {
  const { kernel, admin, acmeAdmin } = await startWorld(t);
  const first = await send(kernel, 'POST', '/api/v1/platform/secrets/smtp.password', { headers: admin.headers, body: { value: 'hunter2-platform' } });
  t.equal(first.status, 201);
  t.match(first.json, { key: 'smtp.password', version: 1, createdAt: String, updatedAt: String });
  t.notOk('value' in first.json, 'the value is not echoed');
  const second = await send(kernel, 'POST', '/api/v1/platform/secrets/smtp.password', { headers: admin.headers, body: { value: 'hunter3-platform' } });
  t.equal(second.status, 200, 'a new value of an existing secret');
  t.equal(second.json.version, 2);

  const list = await call(kernel, 'GET', '/api/v1/platform/secrets', { headers: admin.headers });
  t.equal(list.status, 200);
  t.same(list.json.page, { limit: 50, offset: 0, returned: 1, total: 1 });
  t.same(Object.keys(list.json.data[0]).sort(), ['createdAt', 'key', 'updatedAt', 'version']);
  t.notOk(list.text.includes('hunter'), 'no value in the list');

  t.equal((await call(kernel, 'GET', '/api/v1/platform/secrets')).status, 401, 'no credentials');
  t.equal((await call(kernel, 'GET', '/api/v1/platform/secrets', { headers: acmeAdmin.headers })).status, 403, 'a workspace admin is not a platform admin');
  const bad = await send(kernel, 'POST', '/api/v1/platform/secrets/Not%20A%20Name', { headers: admin.headers, body: { value: 'x' } });
  t.equal(bad.status, 400);
  t.equal(bad.json.error.code, 'validation_failed');
  const empty = await send(kernel, 'POST', '/api/v1/platform/secrets/ok', { headers: admin.headers, body: { value: '' } });
  t.equal(empty.status, 400, 'an empty value');
  const withoutKey = await call(kernel, 'POST', '/api/v1/platform/secrets/ok', { headers: admin.headers, body: { value: 'x' } });
  t.equal(withoutKey.status, 400, 'a write without Idempotency-Key (required by the workspace API)');
  const replayKey = { ...admin.headers, 'idempotency-key': 'replay-1' };
  const once = await call(kernel, 'POST', '/api/v1/platform/secrets/replayed', { headers: replayKey, body: { value: 'v1' } });
  const twice = await call(kernel, 'POST', '/api/v1/platform/secrets/replayed', { headers: replayKey, body: { value: 'v1' } });
  t.same([once.status, twice.status, twice.json.version], [201, 201, 1], 'a retried write is replayed, not a second version');
  const huge = await send(kernel, 'POST', '/api/v1/platform/secrets/ok', { headers: admin.headers, body: { value: 'é'.repeat(40_000) } });
  t.equal(huge.status, 400, 'over 64 KiB of UTF-8');
});

t.test('workspace secrets: per workspace, by role, never across workspaces', async (t) => {
  const { kernel, admin, acmeAdmin, acmeOps, acmeViewer, globexAdmin } = await startWorld(t);
  const set = await send(kernel, 'POST', '/api/v1/workspace/secrets/pagerduty.token', { headers: acmeAdmin.headers, body: { value: 'acme-pd-token' } });
  t.equal(set.status, 201);
  t.equal(
    (await send(kernel, 'POST', '/api/v1/workspace/secrets/pagerduty.token', { headers: globexAdmin.headers, body: { value: 'globex-pd' } })).status,
    201,
  );

  const acme = await call(kernel, 'GET', '/api/v1/workspace/secrets?sortBy=updatedAt&sortOrder=desc', { headers: acmeAdmin.headers });
  t.equal(acme.status, 200);
  t.same(
    acme.json.data.map((s: { key: string; version: number }) => [s.key, s.version]),
    [['pagerduty.token', 1]],
    'only acme’s secret, at its own version',
  );
  t.same(acme.json.sort, { by: 'updatedAt', order: 'desc' });
  const filtered = await call(kernel, 'GET', '/api/v1/workspace/secrets?q=nothing', { headers: acmeAdmin.headers });
  t.equal(filtered.json.page.total, 0, 'q filters by name');

  t.equal((await call(kernel, 'GET', '/api/v1/workspace/secrets', { headers: acmeViewer.headers })).status, 403, 'a viewer');
  t.equal((await send(kernel, 'POST', '/api/v1/workspace/secrets/x', { headers: acmeOps.headers, body: { value: 'y' } })).status, 403, 'an ops engineer');
  t.equal((await send(kernel, 'POST', '/api/v1/workspace/secrets/x', { body: { value: 'y' } })).status, 401);
  const other = await call(kernel, 'GET', '/api/v1/workspace/secrets', { headers: { ...globexAdmin.headers, 'x-workspace-id': 'acme' } });
  t.ok([403, 404].includes(other.status), `another workspace’s secrets are not listed (${other.status})`);
  t.equal(
    (
      await send(kernel, 'POST', '/api/v1/workspace/secrets/pagerduty.token', {
        headers: { ...globexAdmin.headers, 'x-workspace-id': 'acme' },
        body: { value: 'x' },
      })
    ).status >= 403,
    true,
  );
  const badBody = await send(kernel, 'POST', '/api/v1/workspace/secrets/x', { headers: acmeAdmin.headers, body: { value: 'y', extra: 1 } });
  t.equal(badBody.status, 400);
  const platformView = await call(kernel, 'GET', '/api/v1/platform/secrets', { headers: admin.headers });
  t.equal(platformView.json.page.total, 0, 'workspace secrets are not platform secrets');

  // Every write is an event of the workspace, without the value.
  const events = await call(kernel, 'GET', '/api/v1/events/outbox?limit=100', { headers: acmeAdmin.headers });
  const written = (events.json.data ?? events.json.events ?? []).filter((e: { topic: string }) => e.topic === 'secrets.written');
  t.equal(written.length, 1, 'acme sees its own write');
  t.match(written[0]?.payload, { scope: 'workspace', key: 'pagerduty.token', version: 1, actor: `user:${acmeAdmin.id}` });
  t.notOk(events.text.includes('acme-pd-token'), 'the event carries no value');
});

t.test('plugins read and write their own secrets through the plugin API; each read is an event', async (t) => {
  const probe = secretsProbePlugin();
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [probe.manifest] });
  t.equal(
    (
      await send(kernel, 'POST', '/api/v1/workspace/secrets/vault_probe.webhook_url', {
        headers: acmeAdmin.headers,
        body: { value: 'https://hooks.example/abc' },
      })
    ).status,
    201,
  );
  await send(kernel, 'POST', '/api/v1/workspace/secrets/other.token', { headers: acmeAdmin.headers, body: { value: 'not-yours' } });

  t.equal(await probe.secrets.read('acme', 'webhook_url'), 'https://hooks.example/abc', 'the admin’s value, under the plugin’s prefix');
  t.equal(await probe.secrets.read('globex', 'webhook_url'), undefined, 'another workspace has none');
  t.equal(await probe.secrets.read('acme', '../other.token'), undefined, 'no way out of the prefix');
  t.same(await probe.secrets.write(null, 'api_key', 'platform-wide'), { version: 1 });
  t.equal(await probe.secrets.read(null, 'api_key'), 'platform-wide');

  const rows = await kernel.database.platform.query<{ topic: string; tenant_id: string | null; payload: Record<string, unknown> }>(
    `SELECT topic, tenant_id, payload FROM event_outbox WHERE topic LIKE 'secrets.%' ORDER BY id`,
  );
  t.same(
    rows.map((r) => [r.topic, r.tenant_id, r.payload.key, r.payload.actor]),
    [
      ['secrets.written', 'acme', 'vault_probe.webhook_url', `user:${acmeAdmin.id}`],
      ['secrets.written', 'acme', 'other.token', `user:${acmeAdmin.id}`],
      ['secrets.read', 'acme', 'vault_probe.webhook_url', 'plugin:vault_probe'],
      ['secrets.written', null, 'vault_probe.api_key', 'plugin:vault_probe'],
      ['secrets.read', null, 'vault_probe.api_key', 'plugin:vault_probe'],
    ],
    'every read and write, in order, with who did it',
  );
});

t.test('a database dump holds no plaintext secret', async (t) => {
  const probe = secretsProbePlugin();
  const { kernel, admin, acmeAdmin } = await startWorld(t, { plugins: [probe.manifest] });
  const plaintexts = ['platform-plaintext-7f3a9c', 'workspace-plaintext-2b8e41', 'plugin-plaintext-c0ffee'];
  await send(kernel, 'POST', '/api/v1/platform/secrets/dump.one', { headers: admin.headers, body: { value: plaintexts[0] } });
  await send(kernel, 'POST', '/api/v1/workspace/secrets/dump.two', { headers: acmeAdmin.headers, body: { value: plaintexts[1] } });
  await probe.secrets.write('acme', 'three', plaintexts[2]);
  t.equal(await probe.secrets.read('acme', 'three'), plaintexts[2], 'the value is there to read');

  const dump = await dumpAllRows(kernel.database.platform.query);
  t.ok(dump.includes('workspace_secret'), 'the dump covers the secrets tables');
  t.ok(dump.includes('dump.two'), 'and their names');
  t.ok(dump.includes('Acme Corporation'), 'a value stored as text would be found (the workspace’s name is)');
  for (const plaintext of plaintexts) {
    const forms = [plaintext, Buffer.from(plaintext).toString('hex'), Buffer.from(plaintext).toString('base64')];
    for (const form of forms) t.notOk(dump.includes(form), `${plaintext} is nowhere in the dump (as ${form})`);
  }
});
