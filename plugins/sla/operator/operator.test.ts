import t from 'tap';
import { call, subscriptionClient } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import slaPlugin from '../plugin.ts';

const node = 'myorg/platform/prod/cluster1';

async function agentKey(kernel: Parameters<typeof call>[0], headers: Record<string, string>) {
  const created = await call(kernel, 'POST', '/api/v1/apikeys', { headers, body: { name: 'operator', scope: 'ingestion' } });
  return { 'x-api-key': created.json.api_key as string };
}

const sync = (status: string, extra: object = {}) => ({
  nodeId: node,
  operatorVersion: '1.0.0',
  services: [{ name: 'my-api', status, replicas: 3, readyReplicas: status === 'OPERATIONAL' ? 3 : 0, slaGroup: 'payment-system', workloadType: 'Deployment' }],
  slaGroups: [{ name: 'payment-system', displayName: 'Payment System', tier: 'critical' }],
  ...extra,
});

t.test('a simulated agent drives a service down and up; subscribers see the change and the incident', async (t) => {
  const { kernel, acmeAdmin, acmeOps, globexAdmin } = await startWorld(t, { plugins: [slaPlugin] });
  const agent = await agentKey(kernel, acmeAdmin.headers);
  const acme = subscriptionClient(t, kernel.url, acmeOps.token);
  const globex = subscriptionClient(t, kernel.url, globexAdmin.token);
  const seen: { field: string; payload: any }[] = [];
  const globexSeen: unknown[] = [];
  for (const field of ['serviceStatusChanged', 'slaIncident', 'slaAlert']) {
    acme.subscribe(
      { query: `subscription { ${field} { topic payload } }` },
      { next: (m: any) => seen.push({ field, payload: m.data?.[field]?.payload }), error: () => {}, complete: () => {} },
    );
    globex.subscribe({ query: `subscription { ${field} { topic payload } }` }, { next: (m) => globexSeen.push(m), error: () => {}, complete: () => {} });
  }
  await new Promise((resolve) => setTimeout(resolve, 400));

  const first = await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: sync('OPERATIONAL') });
  t.equal(first.status, 200, first.text);
  t.same(first.json, { success: true, services: 1, changed: 1, missing: 0 }, 'the new service is recorded');
  const again = await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: sync('OPERATIONAL') });
  t.same(again.json, { success: true, services: 1, changed: 0, missing: 0 }, 'an unchanged sync records nothing');

  t.equal((await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: sync('DOWN') })).json.changed, 1);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal((await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: sync('OPERATIONAL') })).json.changed, 1);

  const all = await eventually(() => (seen.filter((s) => s.field !== 'slaAlert').length >= 4 ? seen : undefined));
  t.ok(all, 'four events arrived');
  const changes = seen.filter((s) => s.field === 'serviceStatusChanged').map((s) => [s.payload.previousStatus, s.payload.status]);
  t.same(changes, [
    ['OPERATIONAL', 'DOWN'],
    ['DOWN', 'OPERATIONAL'],
  ]);
  const incidents = seen.filter((s) => s.field === 'slaIncident').map((s) => s.payload);
  t.same(
    incidents.map((i) => i.state),
    ['opened', 'resolved'],
  );
  t.equal(incidents[0].incidentId, incidents[1].incidentId, 'the recovery resolves the incident the outage opened');
  t.ok(incidents[1].downtimeMinutes > 0);
  const alerts = await eventually(() => {
    const a = seen.filter((s) => s.field === 'slaAlert').map((s) => `${s.payload.kind}:${s.payload.state}`);
    return a.length >= 2 ? a : undefined;
  });
  t.same(alerts, ['service_down:firing', 'service_down:resolved']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(globexSeen, [], 'another workspace sees none of it');

  const listed = await call(kernel, 'GET', '/api/v1/sla/services?nodeId=myorg/platform', { headers: acmeOps.headers });
  t.equal(listed.json.page.total, 1, 'a hierarchy prefix finds the node');
  const service = listed.json.data[0];
  t.match(service, { name: 'my-api', status: 'OPERATIONAL', slaGroup: 'payment-system', replicas: 3, readyReplicas: 3, workloadType: 'Deployment' });
  const history = await call(kernel, 'GET', `/api/v1/sla/services/${service.id}/incidents`, { headers: acmeOps.headers });
  t.equal(history.status, 200, history.text);
  t.equal(history.json.data.length, 1);
  t.not(history.json.data[0].endedAt, null);
  const raised = await call(kernel, 'GET', '/api/v1/alerts?source=sla', { headers: acmeOps.headers });
  t.equal(raised.json.data[0].status, 'resolved', 'the service-down alert fired and resolved');

  const groups = await call(kernel, 'GET', '/api/v1/sla/groups', { headers: acmeOps.headers });
  t.match(groups.json.data, [{ name: 'payment-system', displayName: 'Payment System', tier: 'critical', targetValue: 99.95, status: 'OPERATIONAL' }]);
  t.equal(groups.json.data[0].services[0].backupStatus.backupExpected, false);
});

t.test('a service its node stops reporting becomes UNKNOWN; a silent agent turns its services UNKNOWN and raises an alert', async (t) => {
  const { kernel, acmeAdmin, acmeOps } = await startWorld(t, { plugins: [slaPlugin] });
  const agent = await agentKey(kernel, acmeAdmin.headers);
  const two = {
    nodeId: node,
    services: [
      { name: 'a', status: 'OPERATIONAL' },
      { name: 'b', status: 'DEGRADED' },
    ],
  };
  await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: two });
  const one = await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: { nodeId: node, services: [two.services[0]] } });
  t.same(one.json, { success: true, services: 1, changed: 1, missing: 1 });
  const b = (await call(kernel, 'GET', '/api/v1/sla/services?q=b', { headers: acmeOps.headers })).json.data.find((s: any) => s.name === 'b');
  t.equal(b.status, 'UNKNOWN', 'never silently kept green');

  const beat = await call(kernel, 'POST', '/api/v1/operator/heartbeat', {
    headers: agent,
    body: { nodeId: node, version: '1.0.0', watchedServices: 2, healthyServices: 1, unhealthyServices: 1 },
  });
  t.same(beat.json, { success: true, nodeId: node, silentAfterSeconds: 90 });
  await kernel.database.query("UPDATE sla_node SET last_heartbeat_at = now() - interval '5 minutes', last_sync_at = now() - interval '5 minutes'");
  await kernel.jobs.send('sla.watch', {});
  const nodes = await eventually(async () => {
    const r = await call(kernel, 'GET', '/api/v1/sla/nodes', { headers: acmeOps.headers });
    if (r.status !== 200) throw new Error(r.text);
    return r.json.data[0].silent ? r.json.data : undefined;
  });
  t.ok(nodes, 'the node went silent');
  const a = (await call(kernel, 'GET', '/api/v1/sla/services?q=a', { headers: acmeOps.headers })).json.data.find((s: any) => s.name === 'a');
  t.equal(a.status, 'UNKNOWN');
  const firing = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers });
  t.ok(
    firing.json.data.some((x: any) => x.entityType === 'node' && x.entityId === node),
    'an agent-silent alert fires',
  );

  await call(kernel, 'POST', '/api/v1/operator/heartbeat', { headers: agent, body: { nodeId: node } });
  const resolved = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers });
  t.notOk(
    resolved.json.data.some((x: any) => x.entityType === 'node'),
    'a heartbeat resolves it',
  );
});

t.test('register creates then updates; the agent lists its expected services', async (t) => {
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [slaPlugin] });
  const agent = await agentKey(kernel, acmeAdmin.headers);
  const body = {
    name: 'my-database',
    displayName: 'My Database',
    nodeId: node,
    criticality: 'critical',
    operations: { backup: { expected: true, maxAgeDays: 1 } },
  };
  const created = await call(kernel, 'POST', '/api/v1/operator/register', { headers: agent, body });
  t.equal(created.status, 201);
  t.match(created.json, {
    success: true,
    created: true,
    service: { name: 'my-database', status: 'UNKNOWN', source: 'register', backupStatus: { backupExpected: true, backupMaxAgeDays: 1 } },
  });
  const updated = await call(kernel, 'POST', '/api/v1/operator/register', {
    headers: agent,
    body: { ...body, operations: { backup: { expected: true, maxAgeDays: 7 } } },
  });
  t.equal(updated.status, 200);
  t.equal(updated.json.service.backupStatus.backupMaxAgeDays, 7);
  const expected = await call(kernel, 'GET', `/api/v1/operator/services?nodeId=${encodeURIComponent(node)}`, { headers: agent });
  t.equal(expected.status, 200);
  t.same(
    expected.json.services.map((s: any) => s.name),
    ['my-database'],
  );
  const globexAgent = await agentKey(kernel, globexAdmin.headers);
  const other = await call(kernel, 'GET', `/api/v1/operator/services?nodeId=${encodeURIComponent(node)}`, { headers: globexAgent });
  t.same(other.json.services, [], "another workspace's agent sees none of acme's services");
});

t.test('operator endpoints refuse bad input, missing credentials and the wrong role', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, globexAdmin } = await startWorld(t, { plugins: [slaPlugin] });
  const agent = await agentKey(kernel, acmeAdmin.headers);
  const cases: [string, string, object | undefined][] = [
    ['POST', '/api/v1/operator/status', sync('OPERATIONAL')],
    ['POST', '/api/v1/operator/heartbeat', { nodeId: node }],
    ['POST', '/api/v1/operator/register', { name: 'x', nodeId: node }],
    ['GET', `/api/v1/operator/services?nodeId=${encodeURIComponent(node)}`, undefined],
  ];
  for (const [method, path, body] of cases) {
    t.equal((await call(kernel, method, path, { body })).status, 401, `${method} ${path} without credentials`);
    const viewer = await call(kernel, method, path, { headers: acmeViewer.headers, body });
    t.equal(viewer.status, 403, `${method} ${path} as a viewer`);
    t.equal(viewer.json.error.code, 'forbidden');
  }
  const bad: [string, object][] = [
    ['/api/v1/operator/status', { nodeId: node, services: [{ name: 'x', status: 'GREEN' }] }],
    ['/api/v1/operator/status', { nodeId: 'has spaces', services: [] }],
    ['/api/v1/operator/status', { services: [] }],
    ['/api/v1/operator/heartbeat', { nodeId: node, watchedServices: -1 }],
    ['/api/v1/operator/register', { name: 'x' }],
  ];
  for (const [path, body] of bad) {
    const r = await call(kernel, 'POST', path, { headers: agent, body });
    t.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
    t.equal(r.json.error.code, 'validation_failed');
  }
  t.equal((await call(kernel, 'GET', '/api/v1/operator/services', { headers: agent })).status, 400, 'nodeId is required');
  const rows = await kernel.database.query('SELECT 1 FROM sla_service');
  t.equal(rows.length, 0, 'refused requests changed nothing');

  await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: sync('OPERATIONAL') });
  const [service] = await kernel.database.query<{ id: string }>('SELECT id FROM sla_service');
  const foreign = await call(kernel, 'GET', `/api/v1/sla/services/${service.id}`, { headers: globexAdmin.headers });
  t.equal(foreign.status, 404, "another workspace's service id answers 404");
});

t.test('a repeated sync takes the fast path, unless something else changed the node since', async (t) => {
  const { kernel, acmeAdmin, acmeOps } = await startWorld(t, { plugins: [slaPlugin] });
  const agent = await agentKey(kernel, acmeAdmin.headers);
  const body = sync('OPERATIONAL');
  t.equal((await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body })).json.changed, 1);
  const before = await kernel.database.query<{ last_sync_at: string }>('SELECT last_sync_at FROM sla_node');
  const repeat = await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body });
  t.same(repeat.json, { success: true, services: 1, changed: 0, missing: 0 });
  const after = await kernel.database.query<{ last_sync_at: string }>('SELECT last_sync_at FROM sla_node');
  t.ok(new Date(after[0].last_sync_at) > new Date(before[0].last_sync_at), 'the node is still seen alive');

  // The digest is of the request's text: the same sync in another key order takes the full path
  // once (which changes nothing), and is the fast path's from then on.
  const digest = async () => (await kernel.database.query<{ sync_hash: string }>('SELECT sync_hash FROM sla_node'))[0].sync_hash;
  const first = await digest();
  const reordered = JSON.stringify(Object.fromEntries(Object.entries(body).reverse()));
  const asText = { headers: { ...agent, 'content-type': 'application/json' }, raw: reordered };
  t.same((await call(kernel, 'POST', '/api/v1/operator/status', asText)).json, { success: true, services: 1, changed: 0, missing: 0 });
  const second = await digest();
  t.not(second, first, 'the full path stored the digest of the new text');
  t.same((await call(kernel, 'POST', '/api/v1/operator/status', asText)).json, { success: true, services: 1, changed: 0, missing: 0 });
  t.equal(await digest(), second, 'then the fast path answers it');

  // A health push on the same node turns the service DOWN: the agent's unchanged sync must not be
  // skipped, or the catalog would keep the pushed status.
  await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body: { service: 'my-api', nodeId: node, status: 'DOWN' } });
  const restored = await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body });
  t.equal(restored.json.changed, 1, 'the full sync ran and recorded DOWN → OPERATIONAL');
  const service = (await call(kernel, 'GET', '/api/v1/sla/services', { headers: acmeOps.headers })).json.data[0];
  t.equal(service.status, 'OPERATIONAL');
});

t.test('an agent sync or heartbeat rewrites its node in place: no index covers the liveness columns', async (t) => {
  const { kernel } = await startWorld(t, { plugins: [slaPlugin] });
  // An update that changes no indexed column can stay on its page (HOT) and add no index entry.
  const indexes = await kernel.database.query<{ definition: string }>(
    `SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indrelid = 'sla_node'::regclass`,
  );
  t.ok(indexes.length > 0, 'the primary key at least');
  for (const { definition } of indexes) {
    t.notMatch(definition, /last_sync_at|last_heartbeat_at|sync_hash|agent_version|silent/, definition);
  }
  const [table] = await kernel.database.query<{ options: string[] }>(`SELECT reloptions AS options FROM pg_class WHERE oid = 'sla_node'::regclass`);
  t.same(table.options, ['fillfactor=50'], 'half-empty pages leave room for the new versions');
});
