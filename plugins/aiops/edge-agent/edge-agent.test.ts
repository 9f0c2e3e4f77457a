import t from 'tap';
import { aiopsWorld, call } from '../aiops.testkit.ts';

t.test('enrollment: nothing issued yet, rotate shows the secret once, later reads show its prefix only', async (t) => {
  const { kernel, agent, acmeAdmin, acmeOps, acmeViewer, globexAdmin } = await aiopsWorld(t);
  const before = await call(kernel, 'GET', '/api/v1/edge-agent/enrollment', { headers: agent.headers });
  t.equal(before.status, 200);
  t.match(before.json, { workspace_id: 'acme', enrolled: false, secret_prefix: null, key_scope: 'ingestion', ingest_path: '/api/v1/events/ingest' });

  t.equal((await call(kernel, 'POST', '/api/v1/edge-agent/enrollment/rotate', { headers: agent.headers })).status, 403, 'an agent cannot rotate');
  t.equal((await call(kernel, 'POST', '/api/v1/edge-agent/enrollment/rotate', { headers: acmeOps.headers })).status, 403);
  t.equal((await call(kernel, 'POST', '/api/v1/edge-agent/enrollment/rotate')).status, 401);
  const rotated = await call(kernel, 'POST', '/api/v1/edge-agent/enrollment/rotate', { headers: acmeAdmin.headers });
  t.equal(rotated.status, 200);
  t.match(rotated.json.enrollment_secret, /^edge_[A-Za-z0-9_-]{32}$/);
  const after = await call(kernel, 'GET', '/api/v1/edge-agent/enrollment', { headers: acmeAdmin.headers });
  t.match(after.json, { enrolled: true, secret_prefix: rotated.json.secret_prefix, rotated_at: rotated.json.rotated_at });
  t.notOk(JSON.stringify(after.json).includes(rotated.json.enrollment_secret), 'the secret is never shown again');
  const [stored] = await kernel.database.platform.query<{ secret_hash: string }>('SELECT secret_hash FROM aiops_edge_enrollment');
  t.notOk(stored.secret_hash.includes(rotated.json.enrollment_secret.slice(5)), 'kept as a hash');
  const again = await call(kernel, 'POST', '/api/v1/edge-agent/enrollment/rotate', { headers: acmeAdmin.headers });
  t.not(again.json.enrollment_secret, rotated.json.enrollment_secret);

  const globex = await call(kernel, 'GET', '/api/v1/edge-agent/enrollment', { headers: globexAdmin.headers });
  t.equal(globex.json.enrolled, false, "another workspace's enrollment is its own");
  t.equal((await call(kernel, 'GET', '/api/v1/edge-agent/enrollment', { headers: acmeViewer.headers })).status, 403);
  t.equal((await call(kernel, 'GET', '/api/v1/edge-agent/enrollment', { headers: { ...acmeAdmin.headers, 'x-workspace-id': 'globex' } })).status, 404);
});

t.test('policy and ingest status as an agent sees them', async (t) => {
  const { kernel, agent, ingest, acmeViewer } = await aiopsWorld(t);
  const policy = await call(kernel, 'GET', '/api/v1/edge-agent/policy', { headers: agent.headers });
  t.equal(policy.status, 200);
  t.match(policy.json, { workspace_id: 'acme', version: 1, batch_max_points: 1000, retention_days: 30 });
  t.ok(policy.json.collect.some((c: { metric_name: string }) => c.metric_name === 'cpu_usage_percent'));
  t.equal((await call(kernel, 'GET', '/api/v1/edge-agent/policy')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/edge-agent/policy', { headers: acmeViewer.headers })).status, 403);

  const empty = await call(kernel, 'GET', '/api/v1/edge-agent/ingest-status', { headers: agent.headers });
  t.same(empty.json, { workspace_id: 'acme', last_batch_at: null, window_hours: 24, totals: { batches: 0, points: 0, events: 0, rejected: 0 }, agents: [] });
  await ingest({ agent_id: 'edge-01', points: [{ service_id: 'web', metric_name: 'cpu_usage_percent', value: 3 }] });
  await ingest({ agent_id: 'edge-01', points: [{ service_id: 'web', metric_name: 'cpu_usage_percent', value: 4, timestamp: '2001-01-01T00:00:00Z' }] });
  await ingest({ agent_id: 'edge-02', events: [{ service_id: 'web', event_type: 'log', message: 'hello' }] });
  const status = await call(kernel, 'GET', '/api/v1/edge-agent/ingest-status', { headers: agent.headers });
  t.equal(status.status, 200);
  t.same(status.json.totals, { batches: 3, points: 1, events: 1, rejected: 1 });
  t.match(status.json.agents, [
    { agent_id: 'edge-01', status: 'healthy', counts: { batches: 2, points: 1, rejected: 1 } },
    { agent_id: 'edge-02', status: 'healthy', counts: { batches: 1, events: 1 } },
  ]);
});
