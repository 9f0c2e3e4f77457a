import t from 'tap';
import { aiopsWorld, call, eventually } from '../aiops.testkit.ts';

const points = (n: number, at = Date.now()) =>
  Array.from({ length: n }, (_, i) => ({
    service_id: 'payment-api',
    metric_name: 'cpu_usage_percent',
    value: 40 + (i % 7),
    timestamp: new Date(at - (n - i) * 15_000).toISOString(),
  }));

t.test('an agent batch is stored once, even when retried with the same Idempotency-Key', async (t) => {
  const { kernel, agent, ingest, acmeViewer, acmeAdmin } = await aiopsWorld(t);
  const body = {
    agent_id: 'edge-01',
    points: points(100),
    events: [{ service_id: 'payment-api', event_type: 'deployment', message: 'v2.3.1 rolled out', timestamp: new Date().toISOString() }],
  };
  const first = await ingest(body, agent.headers, 'edge-01-0001');
  t.equal(first.status, 202, first.text);
  t.match(first.json, { status: 'accepted', accepted_points: 100, accepted_events: 1, batch_id: String });
  const retry = await ingest(body, agent.headers, 'edge-01-0001');
  t.equal(retry.status, 202);
  t.equal(retry.headers.get('idempotent-replayed'), 'true');
  t.equal(retry.json.batch_id, first.json.batch_id, 'the replay answers the first response');
  const [{ count }] = await kernel.database.platform.query<{ count: string }>('SELECT count(*) FROM aiops_point');
  t.equal(Number(count), 101, 'the retried batch is stored once');
  const [{ changes }] = await kernel.database.platform.query<{ changes: string }>('SELECT count(*) AS changes FROM aiops_change_event');
  t.equal(Number(changes), 1, 'a deployment event is a change event for RCA');

  const other = await ingest({ ...body, points: points(3) }, agent.headers, 'edge-01-0001');
  t.equal(other.status, 422, 'the same key with another batch');
  t.equal(other.json.error.code, 'unprocessable');
  const missing = await call(kernel, 'POST', '/api/v1/events/ingest', { headers: agent.headers, body });
  t.equal(missing.status, 400, 'Idempotency-Key is required');

  const batches = await call(kernel, 'GET', '/api/v1/events/ingest-batches', { headers: acmeViewer.headers });
  t.equal(batches.status, 200);
  t.equal(batches.json.page.total, 1);
  t.match(batches.json.data[0], { id: first.json.batch_id, source: 'ingest', agentId: 'edge-01', points: 100, events: 1, rejected: 0 });

  const tenants = await eventually(async () => {
    const list = await call(kernel, 'GET', '/api/v1/tenants', { headers: (await adminHeaders(kernel)).headers });
    const acme = list.json.tenants.find((x: { tenant_id: string }) => x.tenant_id === 'acme');
    return acme?.events_this_month === 101 ? acme : undefined;
  });
  t.equal(tenants.events_this_month, 101, "the workspace's events_this_month counts stored points and events");
  t.ok(acmeAdmin);
});

t.test('a retry that runs again after its node died before answering finds the stored batch', async (t) => {
  const { kernel, agent, ingest } = await aiopsWorld(t);
  const body = { agent_id: 'edge-02', points: points(10) };
  const first = await ingest(body, agent.headers, 'edge-02-0001');
  t.equal(first.status, 202, first.text);
  // What a node killed between the batch's commit and storing the answer leaves: no answer to replay.
  await kernel.database.platform.query('DELETE FROM idempotency_record');
  const retry = await ingest(body, agent.headers, 'edge-02-0001');
  t.equal(retry.status, 202, retry.text);
  t.equal(retry.headers.get('idempotent-replayed'), null, 'the handler ran again');
  t.match(retry.json, { batch_id: first.json.batch_id, accepted_points: 10 }, 'and answered the stored batch');
  const [{ count }] = await kernel.database.platform.query<{ count: string }>('SELECT count(*) FROM aiops_point');
  t.equal(Number(count), 10, 'stored once');
  const another = await ingest({ ...body, points: points(4) }, agent.headers, 'edge-02-0002');
  t.not(another.json.batch_id, first.json.batch_id, 'another key is another batch');
});

t.test('points outside the accepted time range are counted as rejected, not stored; partitions are daily', async (t) => {
  const { kernel, ingest } = await aiopsWorld(t);
  const now = Date.now();
  const response = await ingest({
    points: [
      { service_id: 'db', metric_name: 'latency_ms', value: 3, timestamp: new Date(now - 40 * 86_400_000).toISOString() },
      { service_id: 'db', metric_name: 'latency_ms', value: 3, timestamp: new Date(now + 86_400_000).toISOString() },
      { service_id: 'db', metric_name: 'latency_ms', value: 4, timestamp: new Date(now - 2 * 86_400_000).toISOString() },
      { service_id: 'db', metric_name: 'latency_ms', value: 5 },
    ],
  });
  t.equal(response.status, 202);
  t.equal(response.json.accepted_points, 2);
  const [batch] = await kernel.database.platform.query<{ rejected: number }>('SELECT rejected FROM aiops_ingest_batch');
  t.equal(batch.rejected, 2);
  const partitions = await kernel.database.platform.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'aiops_point'::regclass AND c.relname <> 'aiops_point_default'`,
  );
  t.ok(partitions.length >= 2, 'one partition per day touched');
  const [{ rows }] = await kernel.database.platform.query<{ rows: string }>('SELECT count(*) AS rows FROM aiops_point_default');
  t.equal(Number(rows), 0, 'nothing falls into the default partition');
  const [policy] = await kernel.database.platform.query<{ rls: boolean; policies: number }>(
    `SELECT c.relrowsecurity AS rls, (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation') AS policies
       FROM pg_class c WHERE c.relname = ?`,
    [partitions[0].name],
  );
  t.same(policy, { rls: true, policies: 1 }, 'a partition made at run time is isolated like any table');
});

t.test('ingest refuses bad input, no credentials and roles without telemetry write; lists are per workspace', async (t) => {
  const { kernel, ingest, acmeViewer, globexAdmin, agent } = await aiopsWorld(t);
  t.equal((await ingest({ points: [{ service_id: 'x', metric_name: 'y' }] })).status, 400, 'a point needs a value');
  t.equal((await ingest({ points: [{ service_id: 'x'.repeat(201), metric_name: 'y', value: 1 }] })).status, 400);
  t.equal((await ingest({ points: points(5001) })).status, 400, 'at most 5000 points a batch');
  t.equal((await ingest({ points: points(1) }, {})).status, 401);
  t.equal((await ingest({ points: points(1) }, acmeViewer.headers)).status, 403);
  t.equal((await ingest({ points: points(2) }, agent.headers)).status, 202);
  const globex = await call(kernel, 'GET', '/api/v1/events/ingest-batches', { headers: globexAdmin.headers });
  t.equal(globex.status, 200);
  t.equal(globex.json.page.total, 0, "another workspace's batches are not seen");
  t.equal((await call(kernel, 'GET', '/api/v1/events/ingest-batches?limit=5000', { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/events/ingest-batches')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/events/ingest-batches', { headers: { ...acmeViewer.headers, 'x-workspace-id': 'globex' } })).status, 404);
});

async function adminHeaders(kernel: Parameters<typeof call>[0]) {
  const { login, adminEmail, adminPassword } = await import('../../../core/testing/identity-fixtures.ts');
  return login(kernel as never, adminEmail, adminPassword);
}

t.test('retention drops whole daily partitions older than the retention, and only those', async (t) => {
  const { kernel, ingest } = await aiopsWorld(t);
  const now = Date.now();
  const at = (days: number) => new Date(now - days * 86_400_000).toISOString();
  await ingest({
    points: [
      { service_id: 'db', metric_name: 'latency_ms', value: 1, timestamp: at(6) },
      { service_id: 'db', metric_name: 'latency_ms', value: 2, timestamp: at(1) },
      { service_id: 'db', metric_name: 'latency_ms', value: 3 },
    ],
  });
  await kernel.database.platform.query(
    "INSERT INTO aiops_ingest_batch (id, tenant_id, source, received_at, points, events) VALUES (gen_random_uuid(), 'acme', 'ingest', now() - interval '70 days', 0, 1)",
  );
  const { PointPartitions } = await import('./point-partitions.ts');
  const { pruneTelemetry } = await import('./retention.ts');
  const dropped = await pruneTelemetry(new PointPartitions(kernel.database.platform as never), kernel.database.platform as never, new Date(now), 3);
  t.equal(dropped.length, 1, 'the partition of six days ago');
  const rows = await kernel.database.platform.query<{ value: number }>('SELECT value FROM aiops_point ORDER BY value');
  t.same(
    rows.map((r) => r.value),
    [2, 3],
  );
  const [{ n }] = await kernel.database.platform.query<{ n: string }>('SELECT count(*) AS n FROM aiops_ingest_batch');
  t.equal(Number(n), 1, 'the batch row of 70 days ago is gone, the recent one stays');
});
