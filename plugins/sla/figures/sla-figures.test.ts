import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import slaPlugin from '../plugin.ts';

type Kernel = Parameters<typeof call>[0];

async function setup(t: Parameters<typeof startWorld>[0]) {
  const world = await startWorld(t, { plugins: [slaPlugin] });
  const created = await call(world.kernel, 'POST', '/api/v1/apikeys', { headers: world.acmeAdmin.headers, body: { name: 'cron', scope: 'ingestion' } });
  return { ...world, agent: { 'x-api-key': created.json.api_key as string } };
}

/** Runs the snapshot job for `at` and waits until it wrote the month that contains `at`. */
async function snapshot(kernel: Kernel, at: string) {
  const key = at.slice(0, 7);
  const before = await kernel.database.query<{ n: string }>("SELECT count(*) AS n FROM sla_snapshot WHERE period_key = ? AND period_type = 'MONTHLY'", [key]);
  await kernel.jobs.send('sla.snapshot', { at });
  if (Number(before[0].n) > 0) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return;
  }
  await eventually(async () => {
    const rows = await kernel.database.query<{ n: string }>("SELECT count(*) AS n FROM sla_snapshot WHERE period_key = ? AND period_type = 'MONTHLY'", [key]);
    return Number(rows[0].n) > 0 ? true : undefined;
  });
}

t.test('April 2026 with a 43-minute outage and a 2-hour exclusion window, end to end', async (t) => {
  const { kernel, agent, acmeOps } = await setup(t);
  await call(kernel, 'POST', '/api/v1/health/report', {
    headers: agent,
    body: { service: 'checkout', nodeId: 'acme/shop/prod/eu1', status: 'OPERATIONAL', slaGroup: 'payments' },
  });
  const [{ id }] = await kernel.database.query<{ id: string }>('SELECT id FROM sla_service');
  // The service's whole history, placed in April: up from the first second, 43 minutes DOWN on the
  // 10th, and a 2-hour maintenance window on the 20th that overlaps nothing.
  await kernel.database.query("UPDATE sla_service SET created_at = '2026-04-01T00:00:00Z'");
  await kernel.database.query("UPDATE sla_group SET tier = 'critical'");
  await kernel.database.query("UPDATE sla_status_transition SET at = '2026-04-01T00:00:00Z'");
  await kernel.database.query(
    `INSERT INTO sla_status_transition (tenant_id, service_id, from_status, to_status, at) VALUES
       ('acme', ?, 'OPERATIONAL', 'DOWN', '2026-04-10T12:00:00Z'), ('acme', ?, 'DOWN', 'OPERATIONAL', '2026-04-10T12:43:00Z')`,
    [id, id],
  );
  await kernel.database.query(
    `INSERT INTO sla_exclusion_window (id, tenant_id, service_id, reason, started_at, expected_end_at, ended_at)
     VALUES (gen_random_uuid(), 'acme', ?, 'patching', '2026-04-20T01:00:00Z', '2026-04-20T03:00:00Z', '2026-04-20T03:00:00Z')`,
    [id],
  );
  await snapshot(kernel, '2026-05-01T00:04:00Z');
  const rows = await kernel.database.query<Record<string, unknown>>(
    "SELECT subject_type, actual_value, target_value, downtime_seconds, excluded_seconds, eligible_seconds, incident_count, status, computed_at FROM sla_snapshot WHERE period_key = '2026-04' ORDER BY subject_type DESC",
  );
  // T = 30 × 86,400 = 2,592,000 s; M = 7,200 s; D = 43 × 60 = 2,580 s.
  // (T − M − D) / (T − M) = 2,582,220 / 2,584,800 = 99.900185…%; against the critical tier's 99.95 %: breached.
  t.equal(rows.length, 2, 'the service and its group');
  const [service, group] = rows;
  t.equal(service.subject_type, 'service');
  t.ok(Math.abs(Number(service.actual_value) - (2_582_220 / 2_584_800) * 100) < 1e-9, `availability ${service.actual_value}`);
  t.same([Number(service.downtime_seconds), Number(service.excluded_seconds), Number(service.eligible_seconds)], [2580, 7200, 2_584_800]);
  t.same([Number(service.target_value), service.incident_count, service.status], [99.95, 1, 'breached']);
  t.equal(group.subject_type, 'group');
  t.equal(Number(group.actual_value), Number(service.actual_value), 'a one-service group has its service figures');

  await snapshot(kernel, '2026-05-01T00:04:00Z');
  const again = await kernel.database.query<Record<string, unknown>>(
    "SELECT subject_type, actual_value, target_value, downtime_seconds, excluded_seconds, eligible_seconds, incident_count, status, computed_at FROM sla_snapshot WHERE period_key = '2026-04' ORDER BY subject_type DESC",
  );
  t.same(again, rows, 're-running the job changes nothing (not even computed_at)');

  const trend = await call(kernel, 'GET', '/api/v1/sla/trend?periodType=MONTHLY&monthsBack=36', { headers: acmeOps.headers });
  t.equal(trend.status, 200, trend.text);
  t.match(
    trend.json.data.find((p: { periodKey: string }) => p.periodKey === '2026-04'),
    {
      periodStart: '2026-04-01T00:00:00.000Z',
      actualValue: 99.9002,
      targetValue: 99.95,
      incidentCount: 1,
      downtimeMinutes: 43,
      status: 'breached',
    },
  );
  const daily = await call(kernel, 'GET', `/api/v1/sla/trend?periodType=DAILY&monthsBack=36&serviceId=${id}`, { headers: acmeOps.headers });
  t.match(
    daily.json.data.find((p: { periodKey: string }) => p.periodKey === '2026-04-30'),
    { actualValue: 100, status: 'met' },
  );

  const graphql = await call(kernel, 'POST', '/graphql', {
    headers: acmeOps.headers,
    body: { query: '{ slaTrendData(filter: { periodType: "MONTHLY", monthsBack: 36 }) { periodKey periodStart actualValue status } }' },
  });
  t.match(
    graphql.json.data.slaTrendData.find((p: { periodKey: string }) => p.periodKey === '2026-04'),
    { actualValue: 99.9002, status: 'breached' },
    'GraphQL answers what REST does',
  );
});

t.test('the current period: snapshots, dashboard stats and groups from the live job', async (t) => {
  const { kernel, agent, acmeOps, acmeViewer, globexAdmin } = await setup(t);
  for (const [service, status] of [
    ['a', 'OPERATIONAL'],
    ['b', 'DOWN'],
  ]) {
    await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body: { service, nodeId: 'n/1', status, slaGroup: 'core' } });
  }
  await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body: { service: 'c', nodeId: 'n/1', status: 'OPERATIONAL' } });
  await kernel.database.query("UPDATE sla_service SET created_at = created_at - interval '20 minutes'");
  await kernel.database.query("UPDATE sla_status_transition SET at = at - interval '20 minutes'");
  await snapshot(kernel, new Date().toISOString());

  const stats = await call(kernel, 'GET', '/api/v1/sla/dashboard', { headers: acmeViewer.headers });
  t.equal(stats.status, 200, stats.text);
  // b has been DOWN for all of its 20 minutes: far from the month's 0.5 % budget (~216 minutes),
  // but burning at 100 % it would spend it long before the month ends: at risk. a is met.
  t.match(stats.json, { totalServices: 3, servicesWithSla: 2, metCount: 1, atRiskCount: 1, breachedCount: 0 });
  const gql = await call(kernel, 'POST', '/graphql', {
    headers: acmeViewer.headers,
    body: {
      query: `{ slaDashboardStats { totalServices servicesWithSla metCount atRiskCount breachedCount averageUptime }
               slaGroups { name status currentUptime services { serviceName status backupStatus { backupExpected backupOverdue } } } }`,
    },
  });
  t.same(gql.json.data.slaDashboardStats, stats.json, 'GraphQL and REST agree');
  t.match(gql.json.data.slaGroups, [{ name: 'core', status: 'DOWN', services: [{ serviceName: 'a' }, { serviceName: 'b', status: 'DOWN' }] }]);
  t.ok(gql.json.data.slaGroups[0].currentUptime > 0 && gql.json.data.slaGroups[0].currentUptime < 100);

  const atRisk = await eventually(async () =>
    (await call(kernel, 'GET', '/api/v1/alerts/active?source=sla', { headers: acmeOps.headers })).json.data.filter((a: { title: string }) =>
      /SLA at risk/.test(a.title),
    ),
  );
  t.same(
    atRisk?.map((a: { title: string }) => a.title.split(' SLA')[0]).sort(),
    ['SLA group core', 'b'],
    'entering at_risk fires for the service and its group',
  );
  await snapshot(kernel, new Date().toISOString());
  const sameAgain = (await call(kernel, 'GET', '/api/v1/alerts?source=sla', { headers: acmeOps.headers })).json.data.filter((a: { title: string }) =>
    /SLA at risk/.test(a.title),
  );
  t.equal(sameAgain.length, 2, 're-running the job does not alert again');
  const [{ id }] = await kernel.database.query<{ id: string }>("SELECT id FROM sla_service WHERE name = 'b'");
  const points = await call(kernel, 'GET', `/api/v1/sla/services/${id}/trend?hoursBack=1`, { headers: acmeOps.headers });
  t.equal(points.status, 200, points.text);
  t.ok(points.json.data.length >= 1, '5-minute buckets exist');
  t.match(points.json.data.at(-1), { actualValue: 0, incidentCount: 1 });
  const one = await call(kernel, 'GET', `/api/v1/sla/services/${id}`, { headers: acmeOps.headers });
  t.match(one.json, { name: 'b', currentMonth: { actualValue: 0, status: 'at_risk', targetValue: 99.5 } });
  const left = one.json.currentMonth.budgetRemainingMinutes;
  t.ok(left > 0 && left < 0.005 * 31 * 24 * 60 - 19, `budget left: ${left} minutes`);

  t.equal((await call(kernel, 'GET', `/api/v1/sla/services/${id}/trend`, { headers: globexAdmin.headers })).status, 404, 'other workspace: 404');
  t.equal((await call(kernel, 'GET', `/api/v1/sla/services/${id}/incidents`, { headers: globexAdmin.headers })).status, 404);
  t.equal((await call(kernel, 'GET', `/api/v1/sla/services/${id}/trend?hoursBack=0`, { headers: acmeOps.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/sla/trend?periodType=HOURLY', { headers: acmeOps.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/sla/dashboard')).status, 401);
  for (const path of ['/api/v1/sla/dashboard', '/api/v1/sla/groups', '/api/v1/sla/services', '/api/v1/sla/nodes']) {
    t.equal((await call(kernel, 'GET', path, { headers: agent })).status, 403, `an ingestion key cannot read ${path}`);
  }
  const denied = await call(kernel, 'POST', '/graphql', { headers: agent, body: { query: '{ slaDashboardStats { totalServices } }' } });
  t.equal(denied.json.errors[0].extensions.code, 'forbidden');
});

t.test('exclusion windows: start, conflict, overdue flag, stop, and their errors', async (t) => {
  const { kernel, agent, acmeOps, acmeViewer, globexAdmin } = await setup(t);
  const node = 'myorg/platform/prod/cluster1';
  await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body: { service: 'postgresql', nodeId: node, status: 'OPERATIONAL' } });
  const start = { service: 'postgresql', nodeId: node, reason: 'scheduled patching', expectedEndAt: '2026-04-20T02:00:00Z' };
  const started = await call(kernel, 'POST', '/api/v1/sla/exclusion-window/start', { headers: agent, body: start });
  t.equal(started.status, 201, started.text);
  t.match(started.json, {
    success: true,
    window: { service: 'postgresql', nodeId: node, reason: 'scheduled patching', active: true, endedAt: null, overdue: true },
  });
  t.equal((await call(kernel, 'POST', '/api/v1/sla/exclusion-window/start', { headers: agent, body: start })).status, 409, 'one active window per service');
  const listed = await call(kernel, 'GET', '/api/v1/sla/exclusion-windows?active=true', { headers: acmeOps.headers });
  t.match(listed.json, { data: [{ overdue: true, active: true }], page: { total: 1 } });
  const service = (await call(kernel, 'GET', '/api/v1/sla/services', { headers: acmeOps.headers })).json.data[0];
  t.equal(service.inExclusionWindow, true);

  const stopped = await call(kernel, 'POST', '/api/v1/sla/exclusion-window/stop', { headers: agent, body: { service: 'postgresql', nodeId: node } });
  t.equal(stopped.status, 200);
  t.match(stopped.json.window, { active: false, overdue: false });
  t.not(stopped.json.window.endedAt, null);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/sla/exclusion-window/stop', { headers: agent, body: { service: 'postgresql' } })).status,
    404,
    'no active window',
  );

  t.equal((await call(kernel, 'POST', '/api/v1/sla/exclusion-window/start', { headers: agent, body: { service: 'nope' } })).status, 404);
  await call(kernel, 'POST', '/api/v1/health/report', { headers: agent, body: { service: 'postgresql', nodeId: 'other/node', status: 'OPERATIONAL' } });
  const ambiguous = await call(kernel, 'POST', '/api/v1/sla/exclusion-window/start', { headers: agent, body: { service: 'postgresql' } });
  t.equal(ambiguous.status, 400, 'two services of that name: nodeId is needed');
  t.match(ambiguous.json.error.details, [{ path: '/nodeId' }]);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/sla/exclusion-window/start', { headers: agent, body: { service: 'postgresql', expectedEndAt: 'tomorrow' } })).status,
    400,
  );
  t.equal((await call(kernel, 'POST', '/api/v1/sla/exclusion-window/start', { body: start })).status, 401);
  t.equal((await call(kernel, 'POST', '/api/v1/sla/exclusion-window/start', { headers: acmeViewer.headers, body: start })).status, 403);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/sla/exclusion-window/start', { headers: globexAdmin.headers, body: start })).status,
    404,
    'another workspace cannot reach it',
  );
  t.equal((await call(kernel, 'GET', '/api/v1/sla/exclusion-windows', { headers: globexAdmin.headers })).json.page.total, 0);
});
