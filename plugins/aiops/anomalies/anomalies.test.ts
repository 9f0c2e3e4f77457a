import t from 'tap';
import { aiopsWorld, call, eventually } from '../aiops.testkit.ts';

/** A deterministic noisy series (minute steps) ending now, with an optional spike on its last point. */
function series(service: string, n: number, endMs: number, spikeAt?: number) {
  let seed = 7;
  const noise = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647 - 0.5;
  };
  return Array.from({ length: n }, (_, i) => ({
    service_id: service,
    metric_name: 'cpu_usage_percent',
    value: i === spikeAt ? 98 : 40 + 3 * Math.sin(i / 30) + 2 * noise(),
    timestamp: new Date(endMs - (n - 1 - i) * 60_000).toISOString(),
  }));
}

t.test('the watchdog finds a spike, raises one alert, lists it with the seed fields; clean data raises nothing', async (t) => {
  const { kernel, ingest, acmeViewer, acmeOps, globexAdmin } = await aiopsWorld(t, { env: { ITOPS_AIOPS_WATCHDOG_INTERVAL_MS: '50' } });
  const end = Date.now() - 60_000;
  const all = series('payment-api', 500, end, 499);
  t.equal((await ingest({ points: all.slice(0, 300) })).status, 202);
  t.equal((await ingest({ points: all.slice(300, 499) })).status, 202);
  await eventually(async () => {
    const [row] = await kernel.database.platform.query<{ n: string }>('SELECT count(*) AS n FROM aiops_ingest_batch WHERE scored_at IS NULL');
    return Number(row.n) === 0 || undefined;
  });
  const clean = await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers });
  t.same(clean.json, { anomalies: [], total: 0, page_token: null }, 'no false alarm on clean data');

  t.equal((await ingest({ points: all.slice(499) })).status, 202);
  const page = await eventually(async () => {
    const r = await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers });
    return r.json.total > 0 ? r : undefined;
  });
  if (!page) throw new Error('no anomaly');
  t.equal(page.status, 200);
  t.equal(page.json.total, 1);
  const [anomaly] = page.json.anomalies;
  t.match(anomaly, {
    anomaly_id: /^anom-[0-9a-f]{24}$/,
    service_id: 'payment-api',
    metric_name: 'cpu_usage_percent',
    detected_at: all[499].timestamp,
    rca_triggered: false,
    resolved: false,
    source: 'watchdog',
    suggested_resolutions: [],
  });
  t.ok(anomaly.anomaly_score >= 0.8 && anomaly.anomaly_score <= 1);
  t.ok(anomaly.z_score > 3, `z ${anomaly.z_score}`);

  const alerts = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers });
  t.equal(alerts.status, 200);
  const mine = (alerts.json.data ?? alerts.json).filter((a: { source: string }) => a.source === 'aiops');
  t.equal(mine.length, 1, 'one alert through the core alert service');
  const [event] = await kernel.database.platform.query<{ payload: { anomaly_id: string } }>(
    "SELECT payload FROM event_outbox WHERE topic = 'aiops.anomaly_detected'",
  );
  t.equal(event.payload.anomaly_id, anomaly.anomaly_id);

  const one = await call(kernel, 'GET', `/api/v1/anomalies/${anomaly.anomaly_id}`, { headers: acmeViewer.headers });
  t.equal(one.json.anomaly_id, anomaly.anomaly_id);
  t.equal((await call(kernel, 'GET', `/api/v1/anomalies/${anomaly.anomaly_id}`, { headers: globexAdmin.headers })).status, 404, "another workspace's anomaly");
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: globexAdmin.headers })).json.total, 0);

  const status = await call(kernel, 'GET', '/api/v1/status', { headers: acmeViewer.headers });
  t.equal(status.status, 200);
  t.match(status.json, {
    status: 'ok',
    components: { watchdog: 'running', rca: 'ready', llm: 'disabled', postgresql: 'ok' },
    watchdog: { metrics_monitored: 1, anomalies_last_hour: 1, last_run: String },
  });
});

t.test('anomaly filters, limit and page tokens; bad input, no auth, wrong role', async (t) => {
  const { kernel, acmeViewer, agent } = await aiopsWorld(t);
  const db = kernel.database.platform;
  for (let i = 0; i < 7; i++) {
    await db.query(
      `INSERT INTO aiops_anomaly (anomaly_id, tenant_id, service_id, metric_name, anomaly_score, z_score, detected_at) VALUES (?, 'acme', ?, 'latency_ms', ?, 4, ?)`,
      [`anom-0000000${i}`, i % 2 ? 'db' : 'web', 0.5 + i * 0.07, new Date(Date.UTC(2026, 3, 10, 12, i)).toISOString()],
    );
  }
  const first = await call(kernel, 'GET', '/api/v1/anomalies?limit=3', { headers: acmeViewer.headers });
  t.equal(first.json.total, 7);
  t.same(
    first.json.anomalies.map((a: { anomaly_id: string }) => a.anomaly_id),
    ['anom-00000006', 'anom-00000005', 'anom-00000004'],
  );
  t.same(JSON.parse(Buffer.from(first.json.page_token, 'base64').toString()), { offset: 3 });
  const second = await call(kernel, 'GET', `/api/v1/anomalies?limit=3&page_token=${encodeURIComponent(first.json.page_token)}`, {
    headers: acmeViewer.headers,
  });
  t.same(
    second.json.anomalies.map((a: { anomaly_id: string }) => a.anomaly_id),
    ['anom-00000003', 'anom-00000002', 'anom-00000001'],
  );
  const last = await call(kernel, 'GET', `/api/v1/anomalies?limit=3&page_token=${encodeURIComponent(second.json.page_token)}`, { headers: acmeViewer.headers });
  t.equal(last.json.anomalies.length, 1);
  t.equal(last.json.page_token, null);
  const filtered = await call(kernel, 'GET', '/api/v1/anomalies?service_id=db&min_score=0.7&since=2026-04-10T12:02:00Z&until=2026-04-10T12:06:00Z', {
    headers: acmeViewer.headers,
  });
  t.same(
    filtered.json.anomalies.map((a: { anomaly_id: string }) => a.anomaly_id),
    ['anom-00000005', 'anom-00000003'],
  );
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies?limit=1001', { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies?min_score=2', { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies?since=yesterday', { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies?page_token=bm9wZQ', { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: agent.headers })).status, 403, 'an edge agent does not read anomalies');
  t.equal((await call(kernel, 'GET', '/api/v1/status')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/status', { headers: agent.headers })).status, 403);
});
