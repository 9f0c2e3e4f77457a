import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import slaPlugin from '../plugin.ts';

const node = 'myorg/infra/prod/baremetal';

async function setup(t: Parameters<typeof startWorld>[0]) {
  const world = await startWorld(t, { plugins: [slaPlugin] });
  const created = await call(world.kernel, 'POST', '/api/v1/apikeys', { headers: world.acmeAdmin.headers, body: { name: 'cron', scope: 'ingestion' } });
  return { ...world, agent: { 'x-api-key': created.json.api_key as string } };
}

const service = async (kernel: Parameters<typeof call>[0], headers: Record<string, string>, name: string) =>
  (await call(kernel, 'GET', `/api/v1/sla/services?q=${name}`, { headers })).json.data.find((s: { name: string }) => s.name === name);

t.test('a health push creates the service and its node, then updates status only', async (t) => {
  const { kernel, agent, acmeOps } = await setup(t);
  const body = {
    service: 'galera-node1',
    nodeId: node,
    status: 'OPERATIONAL',
    message: 'wsrep_cluster_size=3',
    criticality: 'critical',
    slaGroup: 'database-cluster',
    serviceType: 'database',
    tags: ['database', 'baremetal'],
  };
  const first = await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body });
  t.equal(first.status, 200, first.text);
  t.same(first.json, { success: true, serviceName: 'galera-node1', status: 'OPERATIONAL', created: true });
  const second = await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body: { service: 'galera-node1', nodeId: node, status: 'DEGRADED' } });
  t.same(second.json, { success: true, serviceName: 'galera-node1', status: 'DEGRADED', created: false });
  const s = await service(kernel, acmeOps.headers, 'galera-node1');
  t.match(s, {
    nodeId: node,
    status: 'DEGRADED',
    criticality: 'critical',
    slaGroup: 'database-cluster',
    serviceType: 'database',
    tags: ['baremetal', 'database'],
    source: 'health',
  });
  const nodes = (await call(kernel, 'GET', '/api/v1/sla/nodes', { headers: acmeOps.headers })).json.data;
  t.match(nodes, [{ nodeId: node, silent: false, services: 1 }], 'the hierarchy node exists');
  const groups = (await call(kernel, 'GET', '/api/v1/sla/groups', { headers: acmeOps.headers })).json.data;
  t.match(groups, [{ name: 'database-cluster', tier: 'standard', targetValue: 99.5 }], 'the named group was created with the standard tier');
});

t.test('a storage push computes free space and alerts when the level changes', async (t) => {
  const { kernel, agent, acmeOps } = await setup(t);
  const push = (usedBytes: number) =>
    call(kernel, 'POST', '/api/v1/storage/report', {
      headers: agent,
      body: {
        service: 'postgresql',
        nodeId: 'myorg/platform/prod/cluster1',
        allocatedBytes: 107374182400,
        usedBytes,
        storageType: 'pvc',
        mountPath: '/var/lib/postgresql',
      },
    });
  const half = await push(53687091200);
  t.equal(half.status, 200, half.text);
  t.same(half.json, { success: true, serviceName: 'postgresql', freePercent: 50, status: 'healthy' }, 'the seed example');
  t.same((await push(80530636800)).json.status, 'warning', '25 % free');
  const critical = await push(102005473280);
  t.same(critical.json, { success: true, serviceName: 'postgresql', freePercent: 5, status: 'critical' });
  const s = await service(kernel, acmeOps.headers, 'postgresql');
  t.ok(s.tags.includes('storage'), 'tagged storage on first push');
  t.match(s.storage, {
    allocatedBytes: 107374182400,
    usedBytes: 102005473280,
    freePercent: 5,
    status: 'critical',
    storageType: 'pvc',
    mountPath: '/var/lib/postgresql',
  });
  const alert = await eventually(async () => {
    const list = (await call(kernel, 'GET', '/api/v1/alerts/active?source=sla', { headers: acmeOps.headers })).json.data;
    return list.find((a: { severity: string }) => a.severity === 'critical');
  });
  t.match(alert, { entityType: 'service', entityId: s.id, title: /5% free/ }, 'one alert, escalated to critical');
  t.equal((await call(kernel, 'GET', '/api/v1/alerts/active?source=sla', { headers: acmeOps.headers })).json.data.length, 1);
  await push(10737418240);
  const after = (await call(kernel, 'GET', '/api/v1/alerts/active?source=sla', { headers: acmeOps.headers })).json.data;
  t.same(after, [], 'back to healthy resolves it');
  const bad = await push(107374182401);
  t.equal(bad.status, 400, 'used above allocated is refused');
});

t.test('backup reports: by service with and without nodeId, by SLA group, by namespace', async (t) => {
  const { kernel, agent, acmeOps } = await setup(t);
  const register = (name: string, extra: object) =>
    call(kernel, 'POST', '/api/v1/operator/register', { headers: agent, body: { name, nodeId: 'myorg/platform/prod/cluster1', ...extra } });
  await register('db-1', { slaGroup: 'payment-system', namespace: 'production', operations: { backup: { expected: true, maxAgeDays: 1 } } });
  await register('db-2', { slaGroup: 'payment-system', namespace: 'production', operations: { backup: { expected: true, maxAgeDays: 1 } } });
  await register('api', { slaGroup: 'payment-system', namespace: 'production' });
  await register('cache-1', { namespace: 'production', operations: { backup: { expected: true } } });

  const byGroup = await call(kernel, 'POST', '/api/v1/backup/report', { headers: agent, body: { slaGroup: 'payment-system', status: 'success' } });
  t.equal(byGroup.status, 200, byGroup.text);
  t.same(
    byGroup.json,
    { success: true, message: 'backup report recorded for 2 services', affected: 2, services: ['db-1', 'db-2'] },
    'members with backup.expected only',
  );

  const byNamespace = await call(kernel, 'POST', '/api/v1/backup/report', { headers: agent, body: { namespace: 'production', status: 'success' } });
  t.same(byNamespace.json, { success: true, message: 'backup report recorded for 3 services', affected: 3, services: ['cache-1', 'db-1', 'db-2'] });

  const byService = await call(kernel, 'POST', '/api/v1/backup/report', {
    headers: agent,
    body: { service: 'db-1', nodeId: 'myorg/platform/prod/cluster1', status: 'failed', sizeBytes: 5242880, message: 'pg_dump failed' },
  });
  t.same(byService.json, { success: true, message: 'backup report recorded for 1 service', affected: 1, services: ['db-1'] });
  const db1 = await service(kernel, acmeOps.headers, 'db-1');
  t.match(db1.backupStatus, { backupExpected: true, lastBackupStatus: 'failed', backupMaxAgeDays: 1, backupOverdue: false });
  const failed = await eventually(async () =>
    (await call(kernel, 'GET', '/api/v1/alerts/active?source=sla', { headers: acmeOps.headers })).json.data.find(
      (a: { entityId: string }) => a.entityId === db1.id,
    ),
  );
  t.match(failed, { title: 'Backup of db-1 failed', severity: 'warning' });

  const orphan = await call(kernel, 'POST', '/api/v1/backup/report', { headers: agent, body: { service: 'my-database', status: 'success' } });
  t.equal(orphan.json.affected, 1);
  const placed = await service(kernel, acmeOps.headers, 'my-database');
  t.equal(placed.nodeId, 'unknown', 'without nodeId the service lands under node "unknown"');

  t.equal((await call(kernel, 'POST', '/api/v1/backup/report', { headers: agent, body: { slaGroup: 'nope', status: 'success' } })).status, 404);
  t.equal((await call(kernel, 'POST', '/api/v1/backup/report', { headers: agent, body: { namespace: 'nope', status: 'success' } })).status, 404);
  for (const body of [{ status: 'success' }, { service: 'a', slaGroup: 'b', status: 'success' }, { service: 'a', status: 'done' }]) {
    const r = await call(kernel, 'POST', '/api/v1/backup/report', { headers: agent, body });
    t.equal(r.status, 400, `refused: ${JSON.stringify(body)}`);
  }
});

t.test('an overdue backup raises an alert; a success clears it', async (t) => {
  const { kernel, agent, acmeOps } = await setup(t);
  await call(kernel, 'POST', '/api/v1/operator/register', {
    headers: agent,
    body: { name: 'db', nodeId: 'n1', operations: { backup: { expected: true, maxAgeDays: 2 } } },
  });
  await kernel.database.query("UPDATE sla_service SET created_at = now() - interval '3 days'");
  await kernel.jobs.send('sla.watch', {});
  const overdue = await eventually(async () => {
    const s = await service(kernel, acmeOps.headers, 'db');
    return s.backupStatus.backupOverdue ? s : undefined;
  });
  t.ok(overdue, 'no successful backup within maxAgeDays: overdue');
  const alert = await eventually(async () => (await call(kernel, 'GET', '/api/v1/alerts/active?source=sla', { headers: acmeOps.headers })).json.data[0]);
  t.match(alert, { title: 'Backup of db is overdue' });
  await call(kernel, 'POST', '/api/v1/backup/report', { headers: agent, body: { service: 'db', nodeId: 'n1', status: 'success' } });
  t.equal((await service(kernel, acmeOps.headers, 'db')).backupStatus.backupOverdue, false);
  t.same((await call(kernel, 'GET', '/api/v1/alerts/active?source=sla', { headers: acmeOps.headers })).json.data, [], 'resolved');
});

t.test('pushes refuse missing credentials, the wrong role and bad input, and stay in their workspace', async (t) => {
  const { kernel, agent, acmeViewer, globexAdmin, acmeOps } = await setup(t);
  const cases: [string, object][] = [
    ['/api/v1/health/report', { service: 's', nodeId: node, status: 'OPERATIONAL' }],
    ['/api/v1/storage/report', { service: 's', nodeId: node, allocatedBytes: 10, usedBytes: 1 }],
    ['/api/v1/backup/report', { service: 's', nodeId: node, status: 'success' }],
  ];
  for (const [path, body] of cases) {
    t.equal((await call(kernel, 'POST', path, { body })).status, 401, `${path} without credentials`);
    t.equal((await call(kernel, 'POST', path, { headers: acmeViewer.headers, body })).status, 403, `${path} as a viewer`);
    const bad = await call(kernel, 'POST', path, { headers: agent, body: { ...body, nodeId: '../etc' } });
    t.equal(bad.status, 400, `${path} with a bad nodeId`);
    t.equal(bad.json.error.code, 'validation_failed');
  }
  t.same(await kernel.database.query('SELECT 1 FROM sla_service'), [], 'nothing was written');
  await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body: cases[0][1] });
  const globexList = await call(kernel, 'GET', '/api/v1/sla/services', { headers: globexAdmin.headers });
  t.equal(globexList.json.page.total, 0, "globex does not see acme's pushed service");
  t.equal((await call(kernel, 'GET', '/api/v1/sla/services', { headers: acmeOps.headers })).json.page.total, 1);
});
