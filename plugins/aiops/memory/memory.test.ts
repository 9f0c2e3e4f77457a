import t from 'tap';
import { aiopsWorld, call } from '../aiops.testkit.ts';

const resolution = {
  incident_id: 'anom-7f3d',
  service_id: 'payment-api',
  resolution: 'Scaled payment-api from 3 to 5 pods. Root cause was memory leak in DB connection pool introduced in v2.3.1. Fixed by upgrading to v2.3.2.',
  resolved_by: 'alice@mycompany.com',
  time_to_recovery_minutes: 18,
  tags: ['memory-leak', 'db-pool'],
};

t.test('resolutions are stored as the seed answers and suggested for similar incidents, best first', async (t) => {
  const { kernel, acmeOps, acmeViewer, globexAdmin } = await aiopsWorld(t);
  const stored = await call(kernel, 'POST', '/api/v1/resolutions/webhook', { headers: acmeOps.headers, body: resolution });
  t.equal(stored.status, 200);
  t.match(stored.json, { status: 'ok', stored: true, knowledge_base_id: /^kb-[0-9a-f]{12}$/ });
  await call(kernel, 'POST', '/api/v1/resolutions/webhook', {
    headers: acmeOps.headers,
    body: { incident_id: 'anom-0001', service_id: 'search', resolution: 'Rebuilt the search index after disk filled up', tags: ['disk-full'] },
  });
  await call(kernel, 'POST', '/api/v1/resolutions/webhook', {
    headers: acmeOps.headers,
    body: {
      incident_id: 'anom-0002',
      service_id: 'payments-api',
      metric_name: 'memory_usage_percent',
      resolution: 'Restarted pods to clear a leaking connection pool',
      tags: ['memory-leak'],
    },
  });

  const similar = await call(
    kernel,
    'GET',
    '/api/v1/resolutions/similar?service_id=payment-api&metric_name=memory_usage_percent&q=connection%20pool%20exhausted&tags=memory-leak',
    {
      headers: acmeViewer.headers,
    },
  );
  t.equal(similar.status, 200);
  const services = similar.json.resolutions.map((r: { service_id: string }) => r.service_id);
  t.same(services.slice(0, 2).sort(), ['payment-api', 'payments-api'], 'both payment services, by name, tags and text');
  t.notOk(services.includes('search'), 'an unrelated fix is not suggested');
  t.ok(similar.json.resolutions[0].similarity > 0 && similar.json.resolutions[0].similarity <= 1);
  t.match(
    similar.json.resolutions.find((r: { service_id: string }) => r.service_id === 'payment-api'),
    {
      knowledge_base_id: stored.json.knowledge_base_id,
      incident_id: 'anom-7f3d',
      resolved_by: 'alice@mycompany.com',
      time_to_recovery_minutes: 18,
      tags: ['memory-leak', 'db-pool'],
    },
  );

  // A new anomaly on the service carries the past fix.
  await kernel.database.platform.query(
    `INSERT INTO aiops_anomaly (anomaly_id, tenant_id, service_id, metric_name, anomaly_score, z_score, detected_at, summary) VALUES ('anom-beef', 'acme', 'payment-api', 'memory_usage_percent', 0.97, 5.1, now(), 'memory usage climbing')`,
  );
  const anomaly = await call(kernel, 'GET', '/api/v1/anomalies/anom-beef', { headers: acmeViewer.headers });
  t.ok(anomaly.json.suggested_resolutions.length >= 1);
  t.ok(['payment-api', 'payments-api'].includes(anomaly.json.suggested_resolutions[0].service_id));

  const globex = await call(kernel, 'GET', '/api/v1/resolutions/similar?service_id=payment-api', { headers: globexAdmin.headers });
  t.same(globex.json.resolutions, [], "another workspace's memory is not shared");
});

t.test('a resolution naming a known anomaly resolves it; bad input, no auth, wrong role', async (t) => {
  const { kernel, acmeOps, acmeViewer } = await aiopsWorld(t);
  await kernel.database.platform.query(
    `INSERT INTO aiops_anomaly (anomaly_id, tenant_id, service_id, metric_name, anomaly_score, z_score, detected_at) VALUES ('anom-7f3d', 'acme', 'payment-api', 'cpu_usage_percent', 0.93, 4.2, now())`,
  );
  const stored = await call(kernel, 'POST', '/api/v1/resolutions/webhook', { headers: acmeOps.headers, body: resolution });
  t.equal(stored.status, 200);
  const anomaly = await call(kernel, 'GET', '/api/v1/anomalies/anom-7f3d', { headers: acmeViewer.headers });
  t.equal(anomaly.json.resolved, true);
  const [kb] = await kernel.database.platform.query<{ metric_name: string }>('SELECT metric_name FROM aiops_resolution');
  t.equal(kb.metric_name, 'cpu_usage_percent', 'the metric comes from the anomaly');

  t.equal((await call(kernel, 'POST', '/api/v1/resolutions/webhook', { headers: acmeOps.headers, body: { ...resolution, resolution: '' } })).status, 400);
  t.equal((await call(kernel, 'POST', '/api/v1/resolutions/webhook', { headers: acmeOps.headers, body: { service_id: 'x', resolution: 'y' } })).status, 400);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/resolutions/webhook', { headers: acmeOps.headers, body: { ...resolution, time_to_recovery_minutes: -1 } })).status,
    400,
  );
  t.equal((await call(kernel, 'POST', '/api/v1/resolutions/webhook', { body: resolution })).status, 401);
  t.equal((await call(kernel, 'POST', '/api/v1/resolutions/webhook', { headers: acmeViewer.headers, body: resolution })).status, 403);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/resolutions/webhook', { headers: { ...acmeOps.headers, 'x-workspace-id': 'globex' }, body: resolution })).status,
    404,
  );
  t.equal((await call(kernel, 'GET', '/api/v1/resolutions/similar?limit=51', { headers: acmeViewer.headers })).status, 400);
});
