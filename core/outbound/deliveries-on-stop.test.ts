import { randomBytes } from 'node:crypto';
import t from 'tap';
import type { Kernel } from '../kernel/kernel.ts';
import { call, servicesProbe } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { eventually } from '../testing/eventually.ts';
import { jwtSecret, startWorld } from '../testing/identity-fixtures.ts';
import { startTestKernel } from '../testing/test-kernel.ts';
import { startDripReceiver } from './drip-receiver.testkit.ts';

/**
 * A node that stops while a receiver still holds a delivery (a rolling deploy) gives the delivery
 * back once its shutdown wait is over: the abandoned attempt is not counted, and the next node sends
 * it at once rather than after the claim's minute and the sweep. A short shutdown timeout (1 s)
 * against a receiver that never finishes (the outbound deadline is 10 s) makes the wait end first.
 */
const env = {
  ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true',
  ITOPS_SHUTDOWN_TIMEOUT_MS: '1000',
  // Both nodes open the receivers' sealed secrets.
  ITOPS_MASTER_KEY: randomBytes(32).toString('base64'),
};

const probe = servicesProbe('alerts_probe');
const plugins = [examplePlugin, probe.plugin];

/** The next node, on the stopped one's database; the stopped node's tokens hold (same JWT secret). */
const nextNode = (t: Parameters<typeof startTestKernel>[0], stopped: Kernel) =>
  startTestKernel(t, { plugins, env: { ...env, ITOPS_JWT_SECRET: jwtSecret }, databaseUrl: stopped.database.url });

t.test('a webhook delivery held by its receiver when the node stops is given back and sent again by the next node', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins, env });
  const drip = await startDripReceiver(t);
  const hook = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: drip.url('/hook'), topics: ['example.scored'] } }))
    .json;
  await call(kernel, 'POST', '/api/v1/example/scores', { headers: acmeAdmin.headers, body: { label: 'a1', values: [1] } });
  t.ok(await eventually(() => (drip.received.length > 0 ? true : undefined)), 'the receiver holds the delivery');

  await kernel.stop();
  const next = await nextNode(t, kernel);
  const ids = await eventually(() => (drip.received.length >= 2 ? drip.received.map((headers) => headers['webhook-id']) : undefined));
  t.equal(ids?.[1], ids?.[0], 'the next node attempted the same delivery');
  const [delivery] = (await call(next, 'GET', `/api/v1/webhooks/${hook.id}/deliveries`, { headers: acmeAdmin.headers })).json.data;
  t.match(delivery, { status: 'pending', attempts: 1, lastError: 'the attempt was abandoned when its node stopped' }, 'the abandoned attempt was not counted');
});

t.test('an alert notification held by its channel when the node stops is given back and sent again by the next node', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins, env });
  const drip = await startDripReceiver(t);
  const channel = await call(kernel, 'POST', '/api/v1/channels', {
    headers: acmeAdmin.headers,
    body: { name: 'trickle', type: 'slack', url: drip.url('/slack') },
  });
  t.equal(channel.status, 201);
  const alert = await kernel.database.forTenant('acme').transaction((tx) =>
    probe.services().alerts.raise(tx, {
      tenantId: 'acme',
      source: 'hosts',
      entityType: 'host',
      entityId: 'db-1',
      severity: 'critical',
      title: 'db-1 is down',
    }),
  );
  t.ok(await eventually(() => (drip.received.length > 0 ? true : undefined)), 'the channel holds the notification');

  await kernel.stop();
  const next = await nextNode(t, kernel);
  t.ok(await eventually(() => (drip.received.length >= 2 ? true : undefined)), 'the next node sent the notification again');
  const [notification] = (await call(next, 'GET', `/api/v1/alerts/${alert.id}`, { headers: acmeAdmin.headers })).json.notifications;
  t.match(
    notification,
    { status: 'pending', attempts: 1, lastError: 'the attempt was abandoned when its node stopped' },
    'the abandoned attempt was not counted',
  );
});
