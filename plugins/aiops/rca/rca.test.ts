import t from 'tap';
import { aiopsWorld, call } from '../aiops.testkit.ts';
import { laggedCorrelation } from './correlate.worker.ts';

t.test('lagged cross-correlation finds the lag of a shifted copy', async (t) => {
  const x = Array.from({ length: 200 }, (_, i) => (i % 37 === 0 ? 5 : 0) + Math.sin(i / 7));
  const y = x.map((_, i) => x[i - 3] ?? 0);
  const r = laggedCorrelation(x, y, 10);
  t.equal(r.lag, 3, 'y follows x by 3 steps');
  t.ok(r.score > 0.95);
});

t.test('correlations from declared dependencies, co-moving metrics and a deployment, depth-limited', async (t) => {
  const { kernel, ingest, acmeViewer, agent, globexAdmin } = await aiopsWorld(t);
  const now = Date.now();
  const minute = (i: number) => new Date(now - (120 - i) * 60_000).toISOString();
  const points = [];
  for (let i = 0; i < 120; i++) {
    const base = i > 90 ? 80 : 20 + (i % 5);
    points.push({ service_id: 'database', metric_name: 'latency_ms', value: base, timestamp: minute(i) });
    // payment-api follows the database two minutes later.
    const follow = i - 2 > 90 ? 80 : 20 + ((i - 2 + 5) % 5);
    points.push({ service_id: 'payment-api', metric_name: 'latency_ms', value: follow, timestamp: minute(i) });
  }
  t.equal((await ingest({ points }, agent.headers)).status, 202);
  await ingest({
    events: [
      { service_id: 'checkout', event_type: 'dependency', labels: { depends_on: 'payment-api' } },
      { service_id: 'database', event_type: 'dependency', labels: { depends_on: 'storage' } },
      { service_id: 'auth', event_type: 'deployment', message: 'v9', timestamp: minute(95) },
    ],
  });
  await kernel.database.platform.query(
    `INSERT INTO aiops_anomaly (anomaly_id, tenant_id, service_id, metric_name, anomaly_score, z_score, detected_at) VALUES ('anom-1', 'acme', 'payment-api', 'latency_ms', 0.9, 6, ?)`,
    [minute(100)],
  );
  const r = await call(kernel, 'GET', '/api/v1/rca/correlations?service_id=payment-api&depth=2', { headers: acmeViewer.headers });
  t.equal(r.status, 200);
  const by = Object.fromEntries(r.json.correlations.map((c: { related_service: string }) => [c.related_service, c]));
  t.match(by.database, { direction: 'upstream', lag_minutes: -2, depth: 1, evidence: ['cross_correlation'] });
  t.ok(by.database.correlation_score > 0.8);
  t.match(by.checkout, { direction: 'downstream', depth: 1, evidence: ['dependency'] });
  t.match(by.auth, { direction: 'upstream', evidence: ['change_event'], lag_minutes: -5 });
  t.match(by.storage, { direction: 'upstream', depth: 2 }, 'upstream of upstream at depth 2');
  t.equal(r.json.blast_radius, 1);
  const shallow = await call(kernel, 'GET', '/api/v1/rca/correlations?service_id=payment-api&depth=1', { headers: acmeViewer.headers });
  t.notOk(
    shallow.json.correlations.some((c: { related_service: string }) => c.related_service === 'storage'),
    'depth 1 stops at direct neighbours',
  );

  const other = await call(kernel, 'GET', '/api/v1/rca/correlations?service_id=payment-api', { headers: globexAdmin.headers });
  t.same(other.json, { service_id: 'payment-api', correlations: [], blast_radius: 0 });
  t.equal((await call(kernel, 'GET', '/api/v1/rca/correlations', { headers: acmeViewer.headers })).status, 400, 'service_id is required');
  t.equal((await call(kernel, 'GET', '/api/v1/rca/correlations?service_id=x&depth=11', { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/rca/correlations?service_id=x')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/rca/correlations?service_id=x', { headers: agent.headers })).status, 403);
});
