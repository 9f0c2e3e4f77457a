import { randomBytes } from 'node:crypto';
import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { plaintextColumnChecks } from '../secrets/plaintext-columns.ts';
import { asBeforeSealing, dumpAllRows, isValidated } from '../secrets/secrets.testkit.ts';
import { eventually } from '../testing/eventually.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { jwtSecret, startWorld } from '../testing/identity-fixtures.ts';
import { startTestKernel } from '../testing/test-kernel.ts';

const env = { ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST: '127.0.0.1', ITOPS_MASTER_KEY: randomBytes(32).toString('base64') };

t.test('channel secrets kept in the row before they moved are sealed at the next boot, and the channel still sends', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env });
  const receiver = await startReceiver(t);
  const hookUrl = receiver.url('/services/T000/B000/legacy-slack-token-5f2c');
  const { query } = kernel.database.platform;
  const [legacy] = await asBeforeSealing(query, plaintextColumnChecks.channels, () =>
    query<{ id: string }>(
      "INSERT INTO notification_channel (id, tenant_id, name, type, url) VALUES (gen_random_uuid(), 'acme', 'old-slack', 'slack', ?) RETURNING id",
      [hookUrl],
    ),
  );
  const [pushover] = await kernel.database.platform.query<{ id: string }>(
    `INSERT INTO notification_channel (id, tenant_id, name, type, config) VALUES (gen_random_uuid(), 'acme', 'old-pushover', 'pushover', ?::jsonb) RETURNING id`,
    [JSON.stringify({ appToken: 'legacyAppToken000000000000001', userKey: 'legacyUserKey0000000000000001', apiUrl: receiver.url('/po') })],
  );

  const next = await startTestKernel(t, { databaseUrl: kernel.database.url, env: { ...env, ITOPS_JWT_SECRET: jwtSecret } });
  const rows = await next.database.platform.query<{ id: string; url: string | null; config: Record<string, string> }>(
    'SELECT id, url, config FROM notification_channel ORDER BY name',
  );
  t.same(
    rows.map((r) => [r.id, r.url, r.config]),
    [
      [pushover.id, null, { apiUrl: receiver.url('/po') }],
      [legacy.id, null, {}],
    ],
    'the rows keep only what is not secret',
  );
  t.ok(await isValidated(next.database.platform.query, plaintextColumnChecks.channels), 'the check on the old url column is validated');
  const dump = await dumpAllRows(next.database.platform.query);
  for (const secret of ['legacy-slack-token-5f2c', 'legacyAppToken000000000000001', 'legacyUserKey0000000000000001'])
    t.notOk(dump.includes(secret), `${secret} is sealed`);

  const listed = await call(next, 'GET', '/api/v1/channels', { headers: acmeAdmin.headers });
  t.match(
    listed.json.data.find((c: { name: string }) => c.name === 'old-pushover'),
    { config: { appToken: '…0001', userKey: '…0001' } },
    'shown masked as before',
  );

  const tested = await call(next, 'POST', `/api/v1/channels/${legacy.id}/test`, { headers: acmeAdmin.headers });
  t.equal(tested.status, 200, tested.text);
  t.match(tested.json, { status: 'sent' });
  const [request] = (await eventually(async () => (receiver.received.length > 0 ? receiver.received : undefined))) ?? [];
  t.equal(request.path, '/services/T000/B000/legacy-slack-token-5f2c', 'sent to the sealed URL');
});
