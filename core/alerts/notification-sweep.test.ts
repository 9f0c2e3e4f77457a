import t from 'tap';
import { createLogger } from '../logging/logger.ts';
import type { OutboundHttp } from '../outbound/outbound-http.ts';
import { call, servicesProbe } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import { unscheduled } from '../testing/unscheduled.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { AlertNotifier } from './alert-notifier.ts';

// The notification fails once (nothing listens on port 9) and then waits an hour for its retry:
// pending and still, whatever the node's own workers do meanwhile.
const env = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '3600' };

t.test('the notification sweep queues a job per overdue notification, and nothing once its node stops', async (t) => {
  const probe = servicesProbe('alerts_probe');
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [probe.plugin], env });
  const channel = await call(kernel, 'POST', '/api/v1/channels', {
    headers: acmeAdmin.headers,
    body: { name: 'ops', type: 'slack', url: 'http://127.0.0.1:9/slack' },
  });
  t.equal(channel.status, 201);
  for (const entityId of ['db-1', 'db-2']) {
    await kernel.database.forTenant('acme').transaction((tx) =>
      probe.services().alerts.raise(tx, {
        tenantId: 'acme',
        source: 'hosts',
        entityType: 'host',
        entityId,
        severity: 'critical',
        title: `${entityId} is down`,
      }),
    );
  }
  const pending = await eventually(async () => {
    const rows = await kernel.database.query<{ id: string }>("SELECT id FROM alert_notification WHERE status = 'pending' AND attempts = 1");
    return rows.length === 2 ? rows : undefined;
  });
  if (!pending) throw new Error('two notifications were expected');
  // Overdue, as when their jobs were lost: the sweep's to send again.
  await unscheduled(kernel.database.query, 'core.alert-notify-sweep');
  await kernel.database.query("UPDATE alert_notification SET next_attempt_at = now() - interval '1 minute', claimed_until = NULL WHERE status = 'pending'");

  const queued: string[] = [];
  const notifier = new AlertNotifier(kernel.database.query, {} as OutboundHttp, async (id) => queued.push(id), createLogger('silent'), 1, {
    open: async () => ({}),
  });
  await notifier.sweep(AbortSignal.abort());
  t.same(queued, [], 'a stopping node sweeps nothing');
  await notifier.sweep(new AbortController().signal);
  t.same(queued.sort(), pending.map((row) => row.id).sort(), 'a running node sweeps each overdue notification');
});
