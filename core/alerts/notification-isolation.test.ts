import t from 'tap';
import type { Kernel } from '../kernel/kernel.ts';
import { startDripReceiver } from '../outbound/drip-receiver.testkit.ts';
import { type AlertsService, definePlugin, type RaiseAlert, tokens } from '../plugin-api/index.ts';
import { call } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { startWorld } from '../testing/identity-fixtures.ts';

const privateOk = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '1' };

/** A world whose test plugin raises alerts as any plugin would, in a transaction of the alert's tenant. */
async function world(t: { teardown(fn: () => unknown): void }) {
  const handle: { alerts?: AlertsService } = {};
  const probe = definePlugin({
    id: 'alerts_probe',
    version: '1.0.0',
    host: '>=0.1.0 <1.0.0',
    init(ctx) {
      handle.alerts = ctx.get(tokens.alerts);
    },
  });
  const w = await startWorld(t, { plugins: [probe], env: privateOk });
  const raise = (alert: RaiseAlert) => w.kernel.database.forTenant(alert.tenantId).transaction((tx) => (handle.alerts as AlertsService).raise(tx, alert));
  return { ...w, raise };
}

async function createChannel(kernel: Kernel, headers: Record<string, string>, body: Record<string, unknown>) {
  const created = await call(kernel, 'POST', '/api/v1/channels', { headers, body });
  if (created.status !== 201) throw new Error(`channel: ${created.status} ${created.text}`);
  return created.json;
}

t.test('the channel test endpoint answers with a failure at the deadline when the channel trickles forever', { timeout: 120_000 }, async (t) => {
  const { kernel, acmeAdmin } = await world(t);
  const drip = await startDripReceiver(t);
  const channel = await createChannel(kernel, acmeAdmin.headers, { name: 'trickle', type: 'slack', url: drip.url('/slack') });
  const tested = await call(kernel, 'POST', `/api/v1/channels/${channel.id}/test`, { headers: acmeAdmin.headers });
  t.equal(tested.status, 200);
  t.match(tested.json, { kind: 'test', status: 'failed', attempts: 1, lastStatusCode: null, lastError: /no complete answer within 10000 ms/ });
  t.equal(drip.received.length, 1, 'the channel was reached once');
});

t.test("a workspace whose channel trickles forever does not hold back another workspace's notifications", async (t) => {
  const { kernel, acmeAdmin, globexAdmin, raise } = await world(t);
  const drip = await startDripReceiver(t);
  const normal = await startReceiver(t);
  await createChannel(kernel, acmeAdmin.headers, { name: 'trickle', type: 'slack', url: drip.url('/slack') });
  await createChannel(kernel, globexAdmin.headers, { name: 'ops', type: 'slack', url: normal.url('/slack') });
  const notifications = async (headers: Record<string, string>, alertId: string) =>
    (await call(kernel, 'GET', `/api/v1/alerts/${alertId}`, { headers })).json.notifications as {
      status: string;
      attempts: number;
      lastError: string | null;
    }[];
  const alert = (tenantId: string, entityId: string) =>
    raise({ tenantId, source: 'hosts', entityType: 'host', entityId, severity: 'critical', title: `${entityId} is down` });

  const acmeAlerts = [await alert('acme', 'db-1'), await alert('acme', 'db-2'), await alert('acme', 'db-3')];
  t.ok(await eventually(() => (drip.received.length > 0 ? true : undefined)), "acme's channel holds a notification");
  const globexAlert = await alert('globex', 'web-1');
  const sent = await eventually(async () => {
    const [row] = await notifications(globexAdmin.headers, globexAlert.id);
    return row?.status === 'sent' ? row : undefined;
  });
  t.match(sent, { status: 'sent', attempts: 1 }, "globex's notification was sent");
  const acmeMeanwhile = (await Promise.all(acmeAlerts.map((a) => notifications(acmeAdmin.headers, a.id)))).flat();
  t.equal(acmeMeanwhile.filter((n) => n.lastError !== null).length, 0, "before any of acme's stuck notifications reached its deadline");

  const timedOut = await eventually(async () => {
    const rows = (await Promise.all(acmeAlerts.map((a) => notifications(acmeAdmin.headers, a.id)))).flat();
    return rows.find((n) => n.lastError !== null);
  });
  t.match(
    timedOut,
    { status: 'pending', attempts: 1, lastError: /no complete answer within 10000 ms/ },
    'a stuck notification fails at the deadline, to be retried',
  );
});
