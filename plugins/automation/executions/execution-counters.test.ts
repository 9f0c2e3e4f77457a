import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { startAutomation } from '../automation.testkit.ts';

t.test('the dashboard summary counts executions in progress and those failed in the last 24 hours, per workspace', async (t) => {
  const { kernel, acmeViewer, globexAdmin } = await startAutomation(t);
  const execution = (tenant: string, status: string, completedHoursAgo: number | null) =>
    kernel.database.platform.query(
      `INSERT INTO workflow_execution (id, tenant_id, workflow_id, workflow_version, workflow_name, status, trigger_kind, completed_at)
       VALUES (gen_random_uuid(), ?, gen_random_uuid(), 1, 'wf', ?, 'manual', now() - make_interval(hours => ?::int))`,
      [tenant, status, completedHoursAgo],
    );
  for (const [status, hoursAgo] of [
    ['queued', null],
    ['running', null],
    ['waiting', null],
    ['failed', 2],
    ['failed', 23],
    ['failed', 25],
    ['succeeded', 1],
    ['cancelled', 1],
  ] as const)
    await execution('acme', status, hoursAgo);
  await execution('globex', 'running', null);

  const acme = await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: acmeViewer.headers });
  t.equal(acme.status, 200, acme.text);
  t.same(acme.json.counters.automation, { executionsRunning: 2, executionsFailedLast24h: 2 }, 'running and waiting; two failures within the day');
  t.same(acme.json.unavailable, []);
  const globex = await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: globexAdmin.headers });
  t.same(globex.json.counters.automation, { executionsRunning: 1, executionsFailedLast24h: 0 }, 'another workspace counts its own');
});
