import t from 'tap';
import { eventually } from '../testing/eventually.ts';
import { verifyWebhook } from '../../sdk/webhook-signature.ts';
import { call } from '../plugin-api/testing.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { embeddedIPv4Hosts } from '../outbound/embedded-ipv4.testkit.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

/** A local receiver answering with the scripted statuses in turn (then 200). */
async function receiver(t: { teardown(fn: () => unknown): void }, script: { status: number; headers?: Record<string, string> }[] = []) {
  const server = await startReceiver(t, () => script.shift() ?? { status: 200 });
  return { url: server.url('/hook'), received: server.received, connections: server.connections };
}

const privateOk = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '1' };

t.test('an event reaches a subscriber signed with Standard Webhooks headers, after a 500 is retried', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [examplePlugin], env: privateOk });
  const hook = await receiver(t, [{ status: 500 }]);
  const created = await call(kernel, 'POST', '/api/v1/webhooks', {
    headers: acmeAdmin.headers,
    body: { url: hook.url, topics: ['example.scored'], description: 'ops bridge' },
  });
  t.equal(created.status, 201);
  t.match(created.json, { id: String, url: hook.url, topics: ['example.scored'], enabled: true, secret: /^whsec_/ });
  const listed = await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers });
  t.notOk('secret' in listed.json.data[0], 'the secret is shown once');

  await call(kernel, 'POST', '/api/v1/example/scores', { headers: acmeAdmin.headers, body: { label: 'hooked', values: [3] } });
  const deliveries = await eventually(async () => {
    const list = await call(kernel, 'GET', `/api/v1/webhooks/${created.json.id}/deliveries`, { headers: acmeAdmin.headers });
    return list.json.data[0]?.status === 'delivered' ? list.json.data : undefined;
  });
  t.match(deliveries, [{ topic: 'example.scored', status: 'delivered', attempts: 2, lastStatusCode: 200 }], 'delivered on the second attempt');
  t.equal(hook.received.length, 2);
  const last = hook.received[1];
  t.equal(last.headers['webhook-id'], hook.received[0].headers['webhook-id'], 'a retry keeps its webhook-id');
  t.doesNotThrow(() => verifyWebhook(created.json.secret, last.headers as Record<string, string>, last.body), 'the signature verifies with the secret');
  t.throws(() => verifyWebhook(created.json.secret, last.headers as Record<string, string>, last.body.replace('hooked', 'forged')));
  t.match(JSON.parse(last.body), { type: 'example.scored', data: { label: 'hooked', score: 9 } });
  const outbox = await call(kernel, 'GET', '/api/v1/events/outbox?topic=example.scored', { headers: acmeAdmin.headers });
  t.same(outbox.json.data[0].deliveries, { pending: 0, delivered: 1, failed: 0 }, 'the outbox shows the delivery state');
});

t.test('410 Gone disables the subscription; Retry-After is honoured; the test endpoint delivers', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [examplePlugin], env: privateOk });
  const gone = await receiver(t, [{ status: 410 }]);
  const slow = await receiver(t, [{ status: 503, headers: { 'retry-after': '1' } }]);
  const goneHook = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: gone.url } })).json;
  const slowHook = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: slow.url } })).json;

  const test = await call(kernel, 'POST', `/api/v1/webhooks/${slowHook.id}/test`, { headers: acmeAdmin.headers });
  t.equal(test.status, 202);
  t.match(test.json, { topic: 'webhook.test', status: 'pending' });
  await call(kernel, 'POST', `/api/v1/webhooks/${goneHook.id}/test`, { headers: acmeAdmin.headers });

  const disabled = await eventually(async () => {
    const list = await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers });
    const row = list.json.data.find((w: any) => w.id === goneHook.id);
    return row.enabled ? undefined : row;
  });
  t.match(disabled, { enabled: false, disabledReason: /410/ });
  t.equal(
    (await call(kernel, 'POST', `/api/v1/webhooks/${goneHook.id}/test`, { headers: acmeAdmin.headers })).status,
    409,
    'a disabled subscription cannot be tested',
  );

  const retried = await eventually(async () => {
    const list = await call(kernel, 'GET', `/api/v1/webhooks/${slowHook.id}/deliveries`, { headers: acmeAdmin.headers });
    return list.json.data[0]?.status === 'delivered' ? list.json.data[0] : undefined;
  });
  t.match(retried, { attempts: 2, status: 'delivered', topic: 'webhook.test' });
  t.equal(JSON.parse(slow.received[1].body).type, 'webhook.test');
});

t.test('a subscription to a private address is refused with a clear reason and never connects', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [examplePlugin] });
  const hook = await receiver(t);
  const created = await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: hook.url } });
  t.equal(created.status, 400);
  t.match(created.json.error, { code: 'validation_failed', message: /127\.0\.0\.1 is in a blocked range \(loopback\)/ });
  t.equal(hook.connections(), 0);
});

t.test('webhook endpoints: bad input, no auth, wrong role, other tenant', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, globexAdmin } = await startWorld(t);
  const created = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: 'https://hooks.example.org/in' } })).json;
  t.equal((await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: 'not a url' } })).status, 400);
  t.equal((await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: 'ftp://files.example.org/' } })).status, 400);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: 'https://x.example.org', topics: ['Bad Topic'] } })).status,
    400,
  );
  t.equal((await call(kernel, 'GET', '/api/v1/webhooks')).status, 401);
  t.equal((await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeViewer.headers, body: { url: 'https://x.example.org' } })).status, 403);
  for (const [method, path] of [
    ['DELETE', `/api/v1/webhooks/${created.id}`],
    ['POST', `/api/v1/webhooks/${created.id}/test`],
    ['GET', `/api/v1/webhooks/${created.id}/deliveries`],
  ]) {
    t.equal((await call(kernel, method, path, { headers: globexAdmin.headers })).status, 404, `${method} ${path} from another tenant`);
  }
  t.same((await call(kernel, 'GET', '/api/v1/webhooks', { headers: globexAdmin.headers })).json.data, []);
  t.equal((await call(kernel, 'DELETE', `/api/v1/webhooks/${created.id}`, { headers: acmeAdmin.headers })).status, 204);
  t.same((await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers })).json.data, []);
});

t.test('subscriptions to IPv6 forms embedding a private IPv4 address are refused as blocked and never connect', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [examplePlugin] });
  const hook = await receiver(t);
  const port = new URL(hook.url).port;
  for (const host of embeddedIPv4Hosts) {
    const created = await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: `http://${host}:${port}/hook` } });
    t.equal(created.status, 400, host);
    t.match(created.json.error, { code: 'validation_failed', message: /blocked range/ }, host);
  }
  t.same((await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers })).json.data, []);
  t.equal(hook.connections(), 0);
});
