import t from 'tap';
import { createLogger } from '../logging/logger.ts';
import type { OutboundHttp } from '../outbound/outbound-http.ts';
import { call } from '../plugin-api/testing.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { eventually } from '../testing/eventually.ts';
import { unscheduled } from '../testing/unscheduled.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { WebhookDelivery } from './webhook-delivery.ts';

// Each delivery fails once (nothing listens on port 9) and then waits an hour for its retry: pending
// and still, whatever the node's own workers do meanwhile.
const env = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '3600' };

t.test('a kick queues a job per pending delivery of its events, a sweep one per overdue delivery, and neither once its node stops', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [examplePlugin], env });
  const hook = await call(kernel, 'POST', '/api/v1/webhooks', {
    headers: acmeAdmin.headers,
    body: { url: 'http://127.0.0.1:9/hook', topics: ['example.scored'] },
  });
  t.equal(hook.status, 201);
  for (const label of ['k1', 'k2', 'k3']) {
    t.equal((await call(kernel, 'POST', '/api/v1/example/scores', { headers: acmeAdmin.headers, body: { label, values: [1] } })).status, 202);
  }
  const pending = await eventually(async () => {
    const rows = await kernel.database.query<{ id: string; event_id: string }>(
      "SELECT id, event_id::text FROM webhook_delivery WHERE status = 'pending' AND attempts = 1",
    );
    return rows.length === 3 ? rows : undefined;
  });
  if (!pending) throw new Error('three deliveries were expected');

  const queued: string[] = [];
  const delivery = new WebhookDelivery(
    kernel.database.query,
    {} as OutboundHttp,
    async (id) => queued.push(id),
    createLogger('silent'),
    1,
    {} as Pick<SecretStore, 'openForPlatform'>,
  );
  const eventIds = pending.map((row) => row.event_id);
  await delivery.kick(eventIds, AbortSignal.abort());
  t.same(queued, [], 'a stopping node queues nothing: the deliveries stay pending for the sweep');
  await delivery.kick(eventIds, new AbortController().signal);
  t.same(queued.sort(), pending.map((row) => row.id).sort(), 'a running node queues each pending delivery');

  // Overdue, as when their jobs were lost: the sweep's to send again.
  await unscheduled(kernel.database.query, 'core.webhook-sweep');
  await kernel.database.query("UPDATE webhook_delivery SET next_attempt_at = now() - interval '1 minute', claimed_until = NULL WHERE status = 'pending'");
  queued.length = 0;
  await delivery.sweep(AbortSignal.abort());
  t.same(queued, [], 'a stopping node sweeps nothing');
  await delivery.sweep(new AbortController().signal);
  t.same(queued.sort(), pending.map((row) => row.id).sort(), 'a running node sweeps each overdue delivery');

  // Where the queue takes many jobs at once, a kick queues them in one call.
  const batches: { id: string; tenant_id: string }[][] = [];
  const batched = new WebhookDelivery(
    kernel.database.query,
    {} as OutboundHttp,
    Object.assign(async () => t.fail('no job is queued alone'), { many: async (rows: { id: string; tenant_id: string }[]) => batches.push(rows) }),
    createLogger('silent'),
    1,
    {} as Pick<SecretStore, 'openForPlatform'>,
  );
  await batched.kick(eventIds, new AbortController().signal);
  t.equal(batches.length, 1, 'one call');
  t.same(batches[0].map((row) => row.id).sort(), pending.map((row) => row.id).sort(), 'with every pending delivery');
  t.ok(
    batches[0].every((row) => row.tenant_id === 'acme'),
    'each in its workspace (the concurrency group)',
  );
});
