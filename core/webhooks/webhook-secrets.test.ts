import { randomBytes } from 'node:crypto';
import t from 'tap';
import { verifyWebhook } from '../../sdk/webhook-signature.ts';
import { call } from '../plugin-api/testing.ts';
import { plaintextColumnChecks } from '../secrets/plaintext-columns.ts';
import { asBeforeSealing, dumpAllRows, isValidated } from '../secrets/secrets.testkit.ts';
import { eventually } from '../testing/eventually.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { jwtSecret, startWorld } from '../testing/identity-fixtures.ts';
import { startTestKernel } from '../testing/test-kernel.ts';

const masterKey = randomBytes(32).toString('base64');
const env = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '1', ITOPS_MASTER_KEY: masterKey };

t.test('a webhook’s signing secrets live sealed in the secrets store: the dump shows none, deliveries still verify', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env });
  const receiver = await startReceiver(t);
  // With Idempotency-Keys: the stored responses that carry the secrets must not show them either.
  const created = await call(kernel, 'POST', '/api/v1/webhooks', {
    headers: { ...acmeAdmin.headers, 'idempotency-key': 'hook-create' },
    body: { url: receiver.url('/hook'), topics: ['webhook.test'] },
  });
  t.equal(created.status, 201, created.text);
  const first = created.json.secret as string;
  const rotated = await call(kernel, 'POST', `/api/v1/webhooks/${created.json.id}/rotate-secret`, {
    headers: { ...acmeAdmin.headers, 'idempotency-key': 'hook-rotate' },
    body: { graceSeconds: 3600 },
  });
  t.equal(rotated.status, 200, rotated.text);
  const second = rotated.json.secret as string;

  const dump = await dumpAllRows(kernel.database.platform.query);
  t.ok(dump.includes(`webhook-signing.${created.json.id}`), 'the dump covers the sealed secrets');
  for (const secret of [first, second]) {
    const raw = secret.replace(/^whsec_/, '');
    // bytea dumps as hex: of the text's UTF-8 bytes (a stored JSON body) and of the decoded key bytes.
    const forms = [
      secret,
      raw,
      Buffer.from(secret, 'utf8').toString('hex'),
      Buffer.from(raw, 'utf8').toString('hex'),
      Buffer.from(raw, 'base64').toString('hex'),
    ];
    for (const form of forms) t.notOk(dump.includes(form), `no ${form.slice(0, 12)}… in the dump`);
  }

  const listed = await call(kernel, 'GET', '/api/v1/workspace/secrets', { headers: acmeAdmin.headers });
  t.same(
    listed.json.data.map((s: { key: string }) => s.key).sort(),
    [`webhook-signing.${created.json.id}`, `webhook-signing.${created.json.id}.previous`],
    'listed by name like any secret',
  );
  const byHand = await call(kernel, 'POST', `/api/v1/workspace/secrets/webhook-signing.${created.json.id}`, {
    headers: acmeAdmin.headers,
    body: { value: 'whsec_AAAA' },
  });
  t.equal(byHand.status, 400, 'a signing secret is not set by hand');
  t.match(byHand.json, { error: { code: /^(bad_request|validation_failed)$/ } });

  const tested = await call(kernel, 'POST', `/api/v1/webhooks/${created.json.id}/test`, { headers: acmeAdmin.headers });
  t.equal(tested.status, 202, tested.text);
  const [request] = (await eventually(async () => (receiver.received.length > 0 ? receiver.received : undefined))) ?? [];
  t.doesNotThrow(() => verifyWebhook(second, request.headers as Record<string, string>, request.body), 'signed with the new secret');
  t.doesNotThrow(() => verifyWebhook(first, request.headers as Record<string, string>, request.body), 'and the previous one in its grace period');

  const deleted = await call(kernel, 'DELETE', `/api/v1/webhooks/${created.json.id}`, { headers: acmeAdmin.headers });
  t.equal(deleted.status, 204);
  t.same((await call(kernel, 'GET', '/api/v1/workspace/secrets', { headers: acmeAdmin.headers })).json.data, [], 'its secrets go with it');
  const [written] = await kernel.database.platform.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM event_outbox WHERE topic = 'secrets.written' AND payload->>'key' LIKE 'webhook-signing.%'",
  );
  t.equal(written.n, 5, 'creation, rotation (two) and deletion (two) are published for the audit trail');
});

t.test('a rotation’s read of the current secret is published; deliveries read silently, so secrets.* events never loop', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env });
  const receiver = await startReceiver(t);
  const everything = await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: receiver.url('/all') } });
  t.equal(everything.status, 201, everything.text);
  const readsOnly = await call(kernel, 'POST', '/api/v1/webhooks', {
    headers: acmeAdmin.headers,
    body: { url: receiver.url('/reads'), topics: ['secrets.read'] },
  });
  t.equal(readsOnly.status, 201, readsOnly.text);
  const rotated = await call(kernel, 'POST', `/api/v1/webhooks/${everything.json.id}/rotate-secret`, { headers: acmeAdmin.headers, body: {} });
  t.equal(rotated.status, 200, rotated.text);

  const reads = () =>
    kernel.database.platform.query<{ tenant_id: string; payload: Record<string, unknown> }>(
      "SELECT tenant_id, payload FROM event_outbox WHERE topic = 'secrets.read' ORDER BY id",
    );
  t.same(
    (await reads()).map((e) => [e.tenant_id, e.payload]),
    [['acme', { scope: 'workspace', key: `webhook-signing.${everything.json.id}`, version: 1, actor: `user:${acmeAdmin.id}` }]],
    'the rotation read the current secret on the caller’s behalf',
  );
  // To /all: the second subscription's secrets.written, and the rotation's read and two writes; to /reads: the read.
  const delivered = await eventually(async () => (receiver.received.length >= 5 ? receiver.received : undefined), 20_000);
  t.ok(delivered, `five deliveries arrive (${receiver.received.length})`);
  t.same(
    receiver.received.filter((r) => r.path === '/reads').map((r) => JSON.parse(r.body).type),
    ['secrets.read'],
    'the read reaches the subscription to secrets.read once',
  );
  t.equal((await reads()).length, 1, 'signing those deliveries read the secrets without publishing: no read feeds the next delivery');
});

t.test('plaintext secrets of subscriptions made before the move are sealed at the next boot and keep signing', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env });
  const receiver = await startReceiver(t);
  const legacy = `whsec_${randomBytes(24).toString('base64')}`;
  const { query } = kernel.database.platform;
  t.ok(await isValidated(query, plaintextColumnChecks.webhooks), 'with no old row, the boot validated the check');
  await t.rejects(
    query("INSERT INTO webhook_subscription (id, tenant_id, url, topics, secret) VALUES (gen_random_uuid(), 'acme', 'https://example.com', '{}', 'whsec_x')"),
    { code: '23514' },
    'no new row may keep a plaintext secret',
  );
  const [row] = await asBeforeSealing(query, plaintextColumnChecks.webhooks, () =>
    query<{ id: string }>(
      "INSERT INTO webhook_subscription (id, tenant_id, url, topics, secret) VALUES (gen_random_uuid(), 'acme', ?, '{webhook.test}', ?) RETURNING id",
      [receiver.url('/hook'), legacy],
    ),
  );
  t.notOk(await isValidated(query, plaintextColumnChecks.webhooks));
  const next = await startTestKernel(t, { databaseUrl: kernel.database.url, env: { ...env, ITOPS_JWT_SECRET: jwtSecret } });
  const [after] = await next.database.platform.query<{ secret: string | null }>('SELECT secret FROM webhook_subscription WHERE id = ?', [row.id]);
  t.equal(after.secret, null, 'the plaintext is gone');
  t.ok(await isValidated(next.database.platform.query, plaintextColumnChecks.webhooks), 'and the database holds that it stays gone');
  t.notOk((await dumpAllRows(next.database.platform.query)).includes(legacy.slice(6)), 'and nowhere in the dump');

  const tested = await call(next, 'POST', `/api/v1/webhooks/${row.id}/test`, { headers: acmeAdmin.headers });
  t.equal(tested.status, 202, tested.text);
  const [request] = (await eventually(async () => (receiver.received.length > 0 ? receiver.received : undefined))) ?? [];
  t.doesNotThrow(() => verifyWebhook(legacy, request.headers as Record<string, string>, request.body), 'deliveries verify with the secret the receiver has');
});
