import t from 'tap';
import { aiopsWorld, call } from '../aiops.testkit.ts';
import { delivery, receiverCredential } from './alertmanager.testkit.ts';

t.test('a firing alert delivered twice makes one anomaly and one core alert; resolved resolves both', async (t) => {
  const { kernel, acmeAdmin, acmeOps, acmeViewer } = await aiopsWorld(t);
  const { authorization } = await receiverCredential(kernel, acmeAdmin);
  const headers = { authorization };
  const first = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { headers, body: delivery('firing') });
  t.equal(first.status, 200, first.text);
  t.match(first.json, { status: 'ok', rca_triggered: true, anomaly_id: /^anom-[0-9a-f]{24}$/ });
  const again = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { headers, body: delivery('firing') });
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

  const resolved = await call(kernel, 'POST', '/api/v1/alerts/webhook', { headers: { ...headers, 'x-workspace-id': 'acme' }, body: delivery('resolved') });
  t.equal(resolved.status, 200);
  t.equal(resolved.json.anomaly_id, first.json.anomaly_id);
  const after = await call(kernel, 'GET', `/api/v1/anomalies/${first.json.anomaly_id}`, { headers: acmeViewer.headers });
  t.equal(after.json.resolved, true);
  const stillActive = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers });
  t.equal((stillActive.json.data ?? stillActive.json).filter((a: { source: string }) => a.source === 'aiops').length, 0);

  const refire = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { headers, body: delivery('firing', '2026-04-10T13:00:00.000Z') });
  t.not(refire.json.anomaly_id, first.json.anomaly_id, 'firing again later is a new anomaly');
});

t.test('the seed’s minimal payload, bad input, unknown workspace, other workspace', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, globexAdmin } = await aiopsWorld(t);
  const { authorization } = await receiverCredential(kernel, acmeAdmin);
  const headers = { authorization };
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
  const r = await call(kernel, 'POST', '/api/v1/alerts/webhook', { headers, body: seed });
  t.equal(r.status, 200, r.text);
  t.match(r.json, { status: 'ok', rca_triggered: true, anomaly_id: /^anom-/ });
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { headers, body: { alerts: [] } })).status, 400);
  t.equal(
    (
      await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', {
        headers,
        body: { alerts: [{ status: 'burning', labels: {}, startsAt: '2026-04-10T12:00:00Z' }] },
      })
    ).status,
    400,
  );
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook', { headers, body: { ...seed, commonLabels: {} } })).status, 400, 'no workspace named');
  t.equal(
    (await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=nope', { headers, body: seed })).status,
    401,
    'an unknown workspace answers as a wrong credential does (ids cannot be probed)',
  );
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: globexAdmin.headers })).json.total, 0);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers })).json.total, 1);
});
