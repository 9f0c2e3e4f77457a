import t from 'tap';
import { startDripReceiver } from '../outbound/drip-receiver.testkit.ts';
import { call } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { eventually } from '../testing/eventually.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { startWorld } from '../testing/identity-fixtures.ts';

const privateOk = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '1' };

t.test(
  "a workspace whose receiver trickles forever does not hold back another workspace's webhooks; its own deliveries fail at the deadline and are retried",
  async (t) => {
    const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [examplePlugin], env: privateOk });
    const drip = await startDripReceiver(t);
    const normal = await startReceiver(t);
    const acmeHook = (
      await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: drip.url('/hook'), topics: ['example.scored'] } })
    ).json;
    const globexHook = (
      await call(kernel, 'POST', '/api/v1/webhooks', { headers: globexAdmin.headers, body: { url: normal.url('/hook'), topics: ['example.scored'] } })
    ).json;
    const deliveries = async (headers: Record<string, string>, hookId: string) =>
      (await call(kernel, 'GET', `/api/v1/webhooks/${hookId}/deliveries`, { headers })).json.data as {
        status: string;
        attempts: number;
        lastError: string | null;
      }[];

    // Acme publishes more events than it may deliver at once; every delivery it starts hangs.
    for (const label of ['a1', 'a2', 'a3', 'a4']) {
      await call(kernel, 'POST', '/api/v1/example/scores', { headers: acmeAdmin.headers, body: { label, values: [1] } });
    }
    t.ok(await eventually(() => (drip.received.length > 0 ? true : undefined)), "acme's receiver holds a delivery");

    await call(kernel, 'POST', '/api/v1/example/scores', { headers: globexAdmin.headers, body: { label: 'g1', values: [2] } });
    const delivered = await eventually(async () => {
      const rows = await deliveries(globexAdmin.headers, globexHook.id);
      return rows[0]?.status === 'delivered' ? rows[0] : undefined;
    });
    t.match(delivered, { status: 'delivered', attempts: 1 }, "globex's webhook was delivered");
    const acmeMeanwhile = await deliveries(acmeAdmin.headers, acmeHook.id);
    t.equal(acmeMeanwhile.filter((d) => d.lastError !== null).length, 0, "before any of acme's stuck deliveries reached its deadline");
    t.ok(drip.received.length <= 2, "acme's deliveries ran at most two at a time");

    const timedOut = await eventually(async () => {
      const rows = await deliveries(acmeAdmin.headers, acmeHook.id);
      return rows.find((d) => d.lastError !== null);
    });
    t.match(
      timedOut,
      { status: 'pending', attempts: 1, lastError: /no complete answer within 10000 ms/ },
      'a stuck delivery fails at the deadline, to be retried',
    );
    const retried = await eventually(() => {
      const ids = drip.received.map((headers) => headers['webhook-id']);
      return ids.some((id, i) => ids.indexOf(id) !== i) ? ids : undefined;
    }, 60_000);
    t.ok(retried, 'the same delivery was attempted again, per the retry policy');
  },
);
