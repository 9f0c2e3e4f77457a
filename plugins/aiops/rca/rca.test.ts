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

/** Two hours of one latency per minute, of the database and of payment-api, which follows it two minutes later. */
function coMoving(now: number) {
  const minute = (i: number) => new Date(now - (120 - i) * 60_000).toISOString();
  const points = [];
  for (let i = 0; i < 120; i++) {
    const base = i > 90 ? 80 : 20 + (i % 5);
    points.push({ service_id: 'database', metric_name: 'latency_ms', value: base, timestamp: minute(i) });
    const follow = i - 2 > 90 ? 80 : 20 + ((i - 2 + 5) % 5);
    points.push({ service_id: 'payment-api', metric_name: 'latency_ms', value: follow, timestamp: minute(i) });
  }
  return { points, minute };
}

t.test('correlations from declared dependencies, co-moving metrics and a deployment, depth-limited', async (t) => {
  const { kernel, ingest, acmeViewer, agent, globexAdmin } = await aiopsWorld(t);
  const { points, minute } = coMoving(Date.now());
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

t.test('metric points of scored batches count for a day, until the retention job empties their inbox', async (t) => {
  let now = new Date();
  const { kernel, ingest, acmeViewer } = await aiopsWorld(t, { clock: () => now, env: { ITOPS_JOBS_ENABLED: 'false' } });
  t.equal((await ingest({ points: coMoving(now.getTime()).points })).status, 202);
  // What a watchdog round leaves behind (watchdog-inbox.test.ts): the batch scored, its inbox kept.
  await kernel.database.platform.query('UPDATE aiops_ingest_batch SET scored_at = now()');
  const waiting = await ingest({ points: [{ service_id: 'web', metric_name: 'rps', value: 1 }] });
  const related = async () => {
    const r = await call(kernel, 'GET', '/api/v1/rca/correlations?service_id=payment-api', { headers: acmeViewer.headers });
    t.equal(r.status, 200);
    return r.json.correlations.map((c: { related_service: string; evidence: string[] }) => [c.related_service, c.evidence]);
  };
  t.same(await related(), [['database', ['cross_correlation']]]);

  const { PointPartitions } = await import('../ingest/point-partitions.ts');
  const { pruneTelemetry } = await import('../ingest/retention.ts');
  const platform = kernel.database.platform as never;
  await pruneTelemetry(new PointPartitions(platform), platform, new Date(now.getTime() + 60 * 60_000), 30);
  t.same(await related(), [['database', ['cross_correlation']]], 'an hour later the inbox is still there');
  now = new Date(now.getTime() + 26 * 60 * 60_000);
  await pruneTelemetry(new PointPartitions(platform), platform, now, 30);
  const inboxes = await kernel.database.platform.query<{ id: string; inbox_services: string[] | null }>('SELECT id, inbox_services FROM aiops_ingest_batch');
  const inbox = new Map(inboxes.map((b) => [b.id, b.inbox_services]));
  t.equal(inbox.size, 2);
  t.same(inbox.get(waiting.json.batch_id), ['web'], 'a batch the watchdog has not scored yet keeps its inbox');
  t.equal([...inbox.values()].filter((i) => i === null).length, 1, "a day and more later the scored batch's inbox is emptied");
  t.same(await related(), [], 'and the points, older than RCA looks, no longer count');
});
