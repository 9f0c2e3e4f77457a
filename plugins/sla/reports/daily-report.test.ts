import t from 'tap';
import type { Kernel } from '../../../core/kernel/kernel.ts';
import { call } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { startReceiver } from '../../../core/testing/http-receiver.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import slaPlugin from '../plugin.ts';

const dayMs = 86_400_000;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const todayStart = Math.floor(Date.now() / dayMs) * dayMs;
/** The day reported on: three days ago (UTC), long finished. */
const dayStart = todayStart - 3 * dayMs;
const day = dateOf(dayStart);
const yesterday = dateOf(todayStart - dayMs);
const at = (hhmm: string) => new Date(`${day}T${hhmm}:00Z`);
const node = 'acme/platform/prod/cluster1';

async function world(t: Parameters<typeof startWorld>[0], env: Record<string, string> = {}) {
  const w = await startWorld(t, { plugins: [slaPlugin], env });
  const created = await call(w.kernel, 'POST', '/api/v1/apikeys', { headers: w.acmeAdmin.headers, body: { name: 'agent', scope: 'ingestion' } });
  if (created.status !== 201) throw new Error(`api key: ${created.status} ${created.text}`);
  return { ...w, agent: { 'x-api-key': created.json.api_key as string } };
}

async function push(kernel: Kernel, headers: Record<string, string>, body: Record<string, unknown>) {
  const pushed = await call(kernel, 'POST', '/api/v1/health/report', { headers, body: { nodeId: node, status: 'OPERATIONAL', ...body } });
  if (pushed.status !== 200) throw new Error(`health push: ${pushed.status} ${pushed.text}`);
}

/**
 * Three acme services pushed through the API, then given a history in SQL (the API only records
 * "now"): created a week before the day, OPERATIONAL since, and on the day
 * - payments-api (group payments, tier standard = 99.5 %) DOWN 10:00–10:36: 36 of 1,440 minutes,
 *   97.5 %, breached;
 * - billing-db (group payments) DOWN 02:10–02:40 inside an exclusion window 02:00–03:00: the
 *   incident is listed but the 60 minutes are left out, 100 %, met;
 * - docs-site (no group): 100 %, no target, no status.
 */
async function seedDay(kernel: Kernel, agent: Record<string, string>) {
  await push(kernel, agent, { service: 'payments-api', slaGroup: 'payments' });
  await push(kernel, agent, { service: 'billing-db', slaGroup: 'payments' });
  await push(kernel, agent, { service: 'docs-site' });
  const q = kernel.database.query;
  const since = new Date(dayStart - 7 * dayMs);
  await q("UPDATE sla_service SET created_at = ? WHERE tenant_id = 'acme'", [since]);
  await q("UPDATE sla_status_transition SET at = ? WHERE tenant_id = 'acme'", [since]);
  const ids = Object.fromEntries(
    (await q<{ id: string; name: string }>("SELECT id, name FROM sla_service WHERE tenant_id = 'acme'")).map((r) => [r.name, r.id]),
  );
  const transition = (service: string, from: string, to: string, when: Date) =>
    q("INSERT INTO sla_status_transition (tenant_id, service_id, from_status, to_status, at) VALUES ('acme', ?, ?, ?, ?)", [ids[service], from, to, when]);
  await transition('payments-api', 'OPERATIONAL', 'DOWN', at('10:00'));
  await transition('payments-api', 'DOWN', 'OPERATIONAL', at('10:36'));
  await transition('billing-db', 'OPERATIONAL', 'DOWN', at('02:10'));
  await transition('billing-db', 'DOWN', 'OPERATIONAL', at('02:40'));
  await q(
    "INSERT INTO sla_exclusion_window (id, tenant_id, service_id, reason, started_at, ended_at) VALUES (gen_random_uuid(), 'acme', ?, 'patching', ?, ?)",
    [ids['billing-db'], at('02:00'), at('03:00')],
  );
  return ids;
}

const expectedSummary = { services: 3, met: 1, atRisk: 0, breached: 1, averageUptime: 98.75, downtimeMinutes: 36, incidents: 2 };

t.test("a day's report: hand-checked figures, stored, listed, and downloadable as JSON, CSV and HTML", async (t) => {
  const { kernel, agent, acmeViewer } = await world(t);
  const ids = await seedDay(kernel, agent);

  const generated = await call(kernel, 'POST', '/api/v1/sla/report/generate', { headers: agent, body: { date: day } });
  t.equal(generated.status, 201, generated.text);
  const report = generated.json;
  t.match(report, { id: /^[0-9a-f-]{36}$/, reportDate: day, trigger: 'manual', generatedAt: String });
  t.same(report.summary, expectedSummary);
  t.same(report.rows, [
    {
      serviceId: ids['billing-db'],
      service: 'billing-db',
      nodeId: node,
      slaGroup: 'payments',
      targetValue: 99.5,
      actualValue: 100,
      status: 'met',
      downtimeMinutes: 0,
      excludedMinutes: 60,
      incidents: 1,
    },
    {
      serviceId: ids['docs-site'],
      service: 'docs-site',
      nodeId: node,
      slaGroup: null,
      targetValue: null,
      actualValue: 100,
      status: null,
      downtimeMinutes: 0,
      excludedMinutes: 0,
      incidents: 0,
    },
    {
      serviceId: ids['payments-api'],
      service: 'payments-api',
      nodeId: node,
      slaGroup: 'payments',
      targetValue: 99.5,
      actualValue: 97.5,
      status: 'breached',
      downtimeMinutes: 36,
      excludedMinutes: 0,
      incidents: 1,
    },
  ]);

  const [stored] = await kernel.database.query<{ tenant_id: string; report_date: string; trigger: string }>(
    'SELECT tenant_id, report_date::text, trigger FROM sla_report WHERE id = ?',
    [report.id],
  );
  t.same(stored, { tenant_id: 'acme', report_date: day, trigger: 'manual' }, 'stored');
  const events = await kernel.database.query<{ tenant_id: string; payload: any }>(
    "SELECT tenant_id, payload FROM event_outbox WHERE topic = 'sla.report_generated'",
  );
  t.same(
    events,
    [{ tenant_id: 'acme', payload: { reportId: report.id, reportDate: day, trigger: 'manual', generatedAt: report.generatedAt, summary: expectedSummary } }],
    'sla.report_generated went through the outbox',
  );

  // Without a body (a CronJob's bare POST): yesterday (UTC), where every service was up all day.
  const defaulted = await call(kernel, 'POST', '/api/v1/sla/report/generate', { headers: agent });
  t.equal(defaulted.status, 201, defaulted.text);
  t.match(defaulted.json, { reportDate: yesterday, summary: { services: 3, met: 2, breached: 0, averageUptime: 100, downtimeMinutes: 0, incidents: 0 } });

  const listed = await call(kernel, 'GET', '/api/v1/sla/reports', { headers: acmeViewer.headers });
  t.equal(listed.status, 200, listed.text);
  t.match(listed.json, { page: { limit: 50, offset: 0, returned: 2, total: 2 }, sort: { by: 'reportDate', order: 'desc' } });
  t.same(
    listed.json.data.map((r: any) => r.reportDate),
    [yesterday, day],
    'newest day first',
  );
  t.same(
    listed.json.data[1],
    { id: report.id, reportDate: day, trigger: 'manual', generatedAt: report.generatedAt, summary: expectedSummary },
    'no rows in the list',
  );
  const paged = await call(kernel, 'GET', '/api/v1/sla/reports?limit=1&offset=1', { headers: acmeViewer.headers });
  t.match(paged.json, { data: [{ id: report.id }], page: { limit: 1, offset: 1, returned: 1, total: 2 } });

  const json = await call(kernel, 'GET', `/api/v1/sla/reports/${report.id}`, { headers: acmeViewer.headers });
  t.equal(json.status, 200);
  t.same(json.json, report, 'the stored report is what generate answered');
  t.same((await call(kernel, 'GET', `/api/v1/sla/reports/${report.id}?format=json`, { headers: acmeViewer.headers })).json, report);

  const csv = await call(kernel, 'GET', `/api/v1/sla/reports/${report.id}?format=csv`, { headers: acmeViewer.headers });
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /^text\/csv; charset=utf-8/);
  t.equal(csv.headers.get('content-disposition'), `attachment; filename="sla-report-${day}.csv"`);
  t.same(csv.text.split('\r\n'), [
    'reportDate,serviceId,service,nodeId,slaGroup,targetValue,actualValue,status,downtimeMinutes,excludedMinutes,incidents',
    `${day},${ids['billing-db']},billing-db,${node},payments,99.5,100,met,0,60,1`,
    `${day},${ids['docs-site']},docs-site,${node},,,100,,0,0,0`,
    `${day},${ids['payments-api']},payments-api,${node},payments,99.5,97.5,breached,36,0,1`,
    '',
  ]);

  const html = await call(kernel, 'GET', `/api/v1/sla/reports/${report.id}?format=html`, { headers: acmeViewer.headers });
  t.equal(html.status, 200);
  t.match(html.headers.get('content-type'), /^text\/html; charset=utf-8/);
  t.match(html.headers.get('content-security-policy'), /default-src 'none'/);
  t.match(html.text, /^<!doctype html>/);
  t.match(html.text, `<title>Daily SLA report ${day}</title>`);
  t.match(html.text, /<th scope="row">payments-api<\/th>[\s\S]*?<td class="num">97.5 %<\/td>\s*<td>Breached<\/td>/);
  t.match(html.text, /<dt>Average uptime \(services with a target\)<\/dt><dd>98.75 %<\/dd>/);
});

t.test('access: authentication, roles, workspaces and input are checked', async (t) => {
  const { kernel, agent, acmeOps, acmeViewer, globexAdmin } = await world(t);
  await seedDay(kernel, agent);
  const generate = (headers: Record<string, string>, body: unknown = { date: day }) => call(kernel, 'POST', '/api/v1/sla/report/generate', { headers, body });

  const noAuth = await generate({});
  t.equal(noAuth.status, 401);
  t.match(noAuth.json, { error: { code: String, message: String, correlationId: String } });
  t.equal((await call(kernel, 'GET', '/api/v1/sla/reports')).status, 401);

  const viewer = await generate(acmeViewer.headers);
  t.equal(viewer.status, 403, 'a viewer cannot generate');
  t.match(viewer.json, { error: { code: String } });

  const report = await generate(acmeOps.headers);
  t.equal(report.status, 201, 'an ops engineer can');
  t.equal((await call(kernel, 'GET', '/api/v1/sla/reports', { headers: acmeViewer.headers })).json.page.total, 1, 'a viewer can read');
  t.equal((await call(kernel, 'GET', `/api/v1/sla/reports/${report.json.id}?format=csv`, { headers: acmeViewer.headers })).status, 200);

  for (const format of ['', '?format=csv', '?format=html']) {
    const other = await call(kernel, 'GET', `/api/v1/sla/reports/${report.json.id}${format}`, { headers: globexAdmin.headers });
    t.equal(other.status, 404, `another workspace's report is not found${format}`);
    t.match(other.json, { error: { code: String, message: String } });
    t.notMatch(other.text, 'payments-api');
  }
  t.same((await call(kernel, 'GET', '/api/v1/sla/reports', { headers: globexAdmin.headers })).json.data, [], 'nor listed');
  t.equal((await call(kernel, 'GET', '/api/v1/sla/reports/6f1c1b1e-8a57-4c59-9a3b-1f7b0a2b9c11', { headers: acmeViewer.headers })).status, 404);

  for (const [body, why] of [
    [{ date: 'yesterday' }, 'not a date'],
    [{ date: '2026-13-40' }, 'no such month'],
    [{ date: '2025-02-30' }, 'no such day'],
    [{ date: dateOf(todayStart + 2 * dayMs) }, 'a day that has not started'],
    [{ date: day, extra: true }, 'an unknown field'],
  ] as const) {
    const bad = await generate(acmeOps.headers, body);
    t.equal(bad.status, 400, why);
    t.match(bad.json, { error: { code: String, message: String } });
  }
  t.equal((await call(kernel, 'GET', '/api/v1/sla/reports/not-a-uuid', { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', `/api/v1/sla/reports/${report.json.id}?format=pdf`, { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/sla/reports?limit=0', { headers: acmeViewer.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/sla/reports', { headers: acmeViewer.headers })).json.page.total, 1, 'nothing was stored by the refused calls');
});

t.test("each report reaches the workspace's channels; one report alert stays open", async (t) => {
  const { kernel, agent, acmeAdmin, acmeViewer } = await world(t, { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true' });
  const rx = await startReceiver(t);
  const channel = await call(kernel, 'POST', '/api/v1/channels', {
    headers: acmeAdmin.headers,
    body: { name: 'ops hook', type: 'webhook', url: rx.url('/hook') },
  });
  t.equal(channel.status, 201, channel.text);
  await seedDay(kernel, agent);
  const reportMessages = () => rx.received.map((r) => JSON.parse(r.body)).filter((b) => b.alert?.source === 'sla' && b.alert?.entityType === 'report');

  const first = await call(kernel, 'POST', '/api/v1/sla/report/generate', { headers: agent, body: { date: day } });
  t.equal(first.status, 201);
  const [triggered] = (await eventually(() => (reportMessages().length >= 1 ? reportMessages() : undefined))) ?? [];
  t.match(triggered, {
    type: 'alert.triggered',
    alert: {
      severity: 'info',
      entityId: day,
      fingerprint: 'sla:daily-report',
      title: `Daily SLA report ${day}: 1 met, 0 at risk, 1 breached`,
      message: `Average uptime 98.75 % across 2 services with an SLA target. 3 services in total, 36 min of downtime in 2 incidents. Report ${first.json.id}.`,
      labels: { kind: 'daily_report', reportId: first.json.id, reportDate: day, trigger: 'manual' },
    },
  });

  const second = await call(kernel, 'POST', '/api/v1/sla/report/generate', { headers: agent, body: { date: yesterday } });
  t.equal(second.status, 201);
  const all = await eventually(() => (reportMessages().length >= 3 ? reportMessages() : undefined));
  t.same(
    all?.map((m) => [m.type, m.alert.entityId]).sort(),
    [
      ['alert.resolved', day],
      ['alert.triggered', day],
      ['alert.triggered', yesterday],
    ],
    "the previous report's alert resolves, the new one fires",
  );
  t.match(
    all?.find((m) => m.alert.entityId === yesterday),
    { alert: { title: `Daily SLA report ${yesterday}: 2 met, 0 at risk, 0 breached` } },
  );
  const active = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeViewer.headers });
  t.same(
    active.json.data.filter((a: any) => a.entityType === 'report').map((a: any) => a.entityId),
    [yesterday],
    'one report alert open: the latest',
  );
});

t.test('the scheduled job reports on each workspace with services, once per day', async (t) => {
  const { kernel, agent, globexAdmin, acmeViewer } = await world(t);
  await seedDay(kernel, agent);
  const globexKey = await call(kernel, 'POST', '/api/v1/apikeys', { headers: globexAdmin.headers, body: { name: 'agent', scope: 'ingestion' } });
  await push(kernel, { 'x-api-key': globexKey.json.api_key }, { service: 'globex-web' });
  await kernel.database.query("UPDATE sla_service SET created_at = ? WHERE tenant_id = 'globex'", [new Date(dayStart - dayMs)]);
  await kernel.database.query("UPDATE sla_status_transition SET at = ? WHERE tenant_id = 'globex'", [new Date(dayStart - dayMs)]);

  const scheduled = () =>
    kernel.database.query<{ tenant_id: string; report_date: string; summary: any }>(
      "SELECT tenant_id, report_date::text, summary FROM sla_report WHERE trigger = 'schedule' ORDER BY tenant_id",
    );
  const completed = async (n: number) => {
    const rows = await kernel.database.query("SELECT 1 FROM pgboss.job WHERE name = 'sla.daily_report' AND state = 'completed'");
    return rows.length >= n ? true : undefined;
  };

  await kernel.jobs.send('sla.daily_report', { date: day });
  t.ok(await eventually(() => completed(1)), 'the job ran');
  const reports = await scheduled();
  t.same(
    reports.map((r) => [r.tenant_id, r.report_date]),
    [
      ['acme', day],
      ['globex', day],
    ],
  );
  t.same(reports[0].summary, expectedSummary);
  t.match(reports[1].summary, { services: 1, downtimeMinutes: 0, averageUptime: null });

  await kernel.jobs.send('sla.daily_report', { date: day });
  t.ok(await eventually(() => completed(2)), 'a second run (a retry, a duplicate) completed');
  t.equal((await scheduled()).length, 2, 'and stored no second copy');
  const listed = await call(kernel, 'GET', '/api/v1/sla/reports', { headers: acmeViewer.headers });
  t.match(listed.json, { data: [{ reportDate: day, trigger: 'schedule' }], page: { total: 1 } });

  await kernel.jobs.send('sla.daily_report', {});
  t.ok(await eventually(() => completed(3)));
  t.same(
    (await scheduled()).filter((r) => r.report_date === yesterday).map((r) => r.tenant_id),
    ['acme', 'globex'],
    'without a date: yesterday',
  );
  await t.rejects(kernel.jobs.send('sla.daily_report', { date: 'not-a-date' }), { code: 'validation_failed' }, 'the payload is validated');
});
