import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { definePlugin } from '../plugin-api/index.ts';
import { notesPlugin } from '../imports/imports.testkit.ts';
import { createLogger } from '../logging/logger.ts';
import { dashboardModule } from './dashboard.module.ts';

const brokenCounters = definePlugin({
  id: 'broken_counters',
  version: '1.0.0',
  host: '*',
  dashboardCounters: async (tx) => {
    await tx.query('SELECT * FROM no_such_table');
    return {};
  },
  init() {},
});

t.test("the summary holds core's counters and each plugin's, for the caller's workspace only", async (t) => {
  const { kernel, admin, acmeAdmin, acmeViewer, globexAdmin } = await startWorld(t, { plugins: [notesPlugin, brokenCounters] });
  await kernel.database.forTenant('acme').query(`INSERT INTO import_note (tenant_id, key, body, priority) VALUES ('acme', 'a', 'x', 1), ('acme', 'b', 'y', 1)`);
  await kernel.database.platform.query(
    `INSERT INTO alert (id, tenant_id, fingerprint, source, entity_type, entity_id, severity, status, title)
     VALUES (gen_random_uuid(), 'acme', 'f1', 'test', 'thing', '1', 'critical', 'firing', 'down'), (gen_random_uuid(), 'acme', 'f2', 'test', 'thing', '2', 'warning', 'firing', 'slow'),
            (gen_random_uuid(), 'globex', 'f3', 'test', 'thing', '3', 'critical', 'firing', 'theirs')`,
  );
  const summary = await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: acmeViewer.headers });
  t.equal(summary.status, 200, summary.text);
  t.match(summary.json, {
    generatedAt: String,
    counters: { core: { alertsFiring: 2, alertsFiringCritical: 1, jobsQueued: 0, jobsRunning: 0, jobsFailedLast24h: 0 }, notes_kind: { notes: 2 } },
    unavailable: ['broken_counters'],
  });
  t.notOk('broken_counters' in summary.json.counters, 'a failing group is left out, the rest still answer');
  const graphql = await call(kernel, 'POST', '/graphql', {
    headers: acmeViewer.headers,
    body: { query: '{ dashboardSummary { generatedAt counters unavailable } }' },
  });
  t.same(graphql.json.data.dashboardSummary, summary.json, 'GraphQL answers the same summary');
  const globex = await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: globexAdmin.headers });
  t.match(globex.json.counters, { core: { alertsFiring: 1 }, notes_kind: { notes: 0 } });
  t.equal((await call(kernel, 'GET', '/api/v1/dashboard/summary', {})).status, 401);
  t.equal(
    (await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: { ...acmeAdmin.headers, 'x-workspace-id': 'globex' } })).status,
    404,
    'another workspace is not found',
  );
  const agent = await call(kernel, 'POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'agent@acme.test', password: 'agent password 123', memberships: [{ tenantId: 'acme', role: 'endpoint_agent' }] },
  });
  t.equal(agent.status, 201);
  const login = await call(kernel, 'POST', '/api/v1/auth/login', { body: { email: 'agent@acme.test', password: 'agent password 123' } });
  const agentSummary = await call(kernel, 'GET', '/api/v1/dashboard/summary', { headers: { authorization: `Bearer ${login.json.token}` } });
  t.equal(agentSummary.status, 403, 'an endpoint agent has no dashboard');
});

t.test('a plugin loaded or unloaded changes the summary at once, not when the cached count ages out', async (t) => {
  const { kernel } = await startWorld(t, { plugins: [notesPlugin] });
  let loaded = [notesPlugin];
  const dashboard = dashboardModule({ database: kernel.database, loaded: () => loaded, logger: createLogger('silent') });
  const summary = async () => (await dashboard.handlers.getDashboardSummary({ tenantId: 'acme' } as never)) as { counters: Record<string, unknown> };
  t.same(Object.keys((await summary()).counters).sort(), ['core', 'notes_kind']);
  loaded = [];
  t.same(Object.keys((await summary()).counters), ['core'], 'unloaded: its group is gone within the 10 s the count is kept');
  loaded = [notesPlugin];
  t.same(Object.keys((await summary()).counters).sort(), ['core', 'notes_kind'], 'loaded again');
});
