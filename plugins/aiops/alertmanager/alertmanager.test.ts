import { createServer } from 'node:net';
import t from 'tap';
import { aiopsWorld, call, eventually } from '../aiops.testkit.ts';

/** A delivery exactly as Alertmanager 0.27 sends it (webhook payload version 4). */
function delivery(status: 'firing' | 'resolved', startsAt = '2026-04-10T12:00:00.000Z') {
  return {
    receiver: 'itops',
    status,
    alerts: [
      {
        status,
        labels: { alertname: 'HighCPU', service_id: 'payment-api', severity: 'critical', instance: 'pay-1:9100', job: 'node' },
        annotations: { summary: 'CPU usage above 85% for 5 minutes' },
        startsAt,
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-04-10T12:20:00.000Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=cpu%3E85&g0.tab=1',
        fingerprint: 'c3f2a1b4d5e6f708',
      },
    ],
    groupLabels: { alertname: 'HighCPU' },
    commonLabels: { alertname: 'HighCPU', service_id: 'payment-api', severity: 'critical', job: 'node' },
    commonAnnotations: { summary: 'CPU usage above 85% for 5 minutes' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}/{severity="critical"}:{alertname="HighCPU"}',
    truncatedAlerts: 0,
    notification_reason: 'new_alert',
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

t.test('a firing alert delivered twice makes one anomaly and one core alert; resolved resolves both', async (t) => {
  const { kernel, acmeOps, acmeViewer } = await aiopsWorld(t);
  const first = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { body: delivery('firing') });
  t.equal(first.status, 200, first.text);
  t.match(first.json, { status: 'ok', rca_triggered: true, anomaly_id: /^anom-[0-9a-f]{8}$/ });
  const again = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { body: delivery('firing') });
  t.equal(again.status, 200);
  t.equal(again.json.anomaly_id, first.json.anomaly_id, 'a redelivery answers the same anomaly');
  t.equal(again.json.duplicates, 1);

  const anomalies = await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers });
  t.equal(anomalies.json.total, 1);
  t.match(anomalies.json.anomalies[0], {
    anomaly_id: first.json.anomaly_id,
    service_id: 'payment-api',
    metric_name: 'HighCPU',
    anomaly_score: 0.95,
    source: 'alertmanager',
    rca_triggered: true,
    resolved: false,
  });
  const active = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers });
  const mine = (active.json.data ?? active.json).filter((a: { source: string }) => a.source === 'aiops');
  t.equal(mine.length, 1, 'one core alert');
  t.equal(mine[0].count ?? 1, 1, 'raised once, not counted twice');

  const resolved = await call(kernel, 'POST', '/api/v1/alerts/webhook', { headers: { 'x-workspace-id': 'acme' }, body: delivery('resolved') });
  t.equal(resolved.status, 200);
  t.equal(resolved.json.anomaly_id, first.json.anomaly_id);
  const after = await call(kernel, 'GET', `/api/v1/anomalies/${first.json.anomaly_id}`, { headers: acmeViewer.headers });
  t.equal(after.json.resolved, true);
  const stillActive = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers });
  t.equal((stillActive.json.data ?? stillActive.json).filter((a: { source: string }) => a.source === 'aiops').length, 0);

  const refire = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { body: delivery('firing', '2026-04-10T13:00:00.000Z') });
  t.not(refire.json.anomaly_id, first.json.anomaly_id, 'firing again later is a new anomaly');
});

t.test('the seed’s minimal payload, bad input, unknown workspace, other workspace', async (t) => {
  const { kernel, acmeViewer, globexAdmin } = await aiopsWorld(t);
  const seed = {
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighCPU', service_id: 'payment-api', severity: 'critical' },
        annotations: { summary: 'CPU usage above 85% for 5 minutes' },
        startsAt: '2026-04-10T12:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
      },
    ],
    groupLabels: { alertname: 'HighCPU' },
    commonLabels: { service_id: 'payment-api', workspace: 'acme' },
  };
  const r = await call(kernel, 'POST', '/api/v1/alerts/webhook', { body: seed });
  t.equal(r.status, 200, r.text);
  t.match(r.json, { status: 'ok', rca_triggered: true, anomaly_id: /^anom-/ });
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { body: { alerts: [] } })).status, 400);
  t.equal(
    (
      await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', {
        body: { alerts: [{ status: 'burning', labels: {}, startsAt: '2026-04-10T12:00:00Z' }] },
      })
    ).status,
    400,
  );
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook', { body: { ...seed, commonLabels: {} } })).status, 400, 'no workspace named');
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=nope', { body: seed })).status, 404);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: globexAdmin.headers })).json.total, 0);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers })).json.total, 1);
});

t.test('the second listener takes the same webhooks, with bearer or basic auth when configured', async (t) => {
  const port = await freePort();
  const { kernel, acmeViewer } = await aiopsWorld(t, {
    env: {
      ITOPS_AIOPS_ALERTMANAGER_PORT: String(port),
      ITOPS_AIOPS_ALERTMANAGER_BEARER_TOKEN: 's3cret-token',
      ITOPS_AIOPS_ALERTMANAGER_BASIC_AUTH: 'am:pass word',
    },
  });
  const url = `http://127.0.0.1:${port}/api/v1/alerts/webhook?workspace=acme`;
  const post = (headers: Record<string, string>, body: unknown = delivery('firing')) =>
    eventually(async () => {
      try {
        return await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      } catch {
        return undefined; // not listening yet
      }
    }) as Promise<Response>;
  const none = await post({});
  t.equal(none.status, 401);
  t.equal(((await none.json()) as { error: { code: string } }).error.code, 'unauthorized');
  t.equal((await post({ authorization: 'Bearer wrong' })).status, 401);
  const ok = await post({ authorization: 'Bearer s3cret-token' });
  t.equal(ok.status, 200);
  const body = (await ok.json()) as { anomaly_id: string };
  const basic = await post({ authorization: `Basic ${Buffer.from('am:pass word').toString('base64')}` });
  t.equal(basic.status, 200);
  t.equal(((await basic.json()) as { anomaly_id: string }).anomaly_id, body.anomaly_id, 'a redelivery through either port is one alert');
  t.equal((await post({ authorization: 'Bearer s3cret-token' }, '{"alerts": [')).status, 400);
  t.equal((await post({ authorization: 'Bearer s3cret-token' }, { alerts: 'no' })).status, 400);
  t.equal((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status, 404);
  const nul = JSON.stringify(delivery('firing', '2026-04-10T14:00:00.000Z')).replace('HighCPU', 'High\\u0000CPU');
  t.equal((await post({ authorization: 'Bearer s3cret-token' }, nul)).status, 400, 'a NUL is refused, as on the main port');
  // The main port asks for the same credentials.
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { body: delivery('firing') })).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers })).json.total, 1);
});
