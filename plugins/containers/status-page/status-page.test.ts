import { createHash } from 'node:crypto';
import t from 'tap';
import type { DatabaseService } from '../../../core/plugin-api/index.ts';
import { call, startTestKernel } from '../../../core/plugin-api/testing.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import { createContainersPlugin } from '../plugin.ts';
import { pruneStatusHistory } from './status-components.ts';
import { eventually, openSse, publishStatusPage, statusWorld } from './status-page.testkit.ts';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

t.test('the page shows only its workspace’s components, escaped, with landmarks and a strict CSP', async (t) => {
  const { kernel, admin, globexAdmin, heartbeat, group, component, page } = await statusWorld(t);
  const hb = await heartbeat();
  const g = await group({ name: 'Databases & <b>queues</b>', description: 'Where "state" lives' });
  await component({ name: '<script>alert(1)</script>', description: '" onmouseover="alert(2)', monitorType: 'heartbeat', monitorId: hb.id, groupId: g.id });
  await component({ name: 'Public API', monitorType: 'endpoint', monitorId: 'api' });
  await component({ name: 'Globex billing', monitorType: 'container', monitorId: 'billing' }, globexAdmin.headers);
  await group({ name: 'Empty group' });

  const acme = await page();
  t.equal(acme.status, 200);
  t.match(acme.headers.get('content-type'), /^text\/html/);
  t.notOk(acme.html.includes('<script>alert(1)</script>'), 'a name is never markup');
  t.ok(acme.html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'but is shown as text');
  t.ok(acme.html.includes('&quot; onmouseover=&quot;alert(2)'), 'descriptions too');
  t.ok(acme.html.includes('Databases &amp; &lt;b&gt;queues&lt;/b&gt;'), 'and group names');
  t.ok(acme.html.includes('Public API'));
  t.notOk(acme.html.includes('Globex billing'), 'nothing of another workspace');
  t.notOk(acme.html.includes('Empty group'), 'a group without components is not shown');
  t.notOk(acme.html.includes(hb.id), 'what a component is bound to is not published');
  for (const landmark of [
    '<html lang="en">',
    '<header>',
    '<main>',
    '<footer>',
    '<h1>Acme Corporation status</h1>',
    'aria-live="polite"',
    'Active incidents',
    'No active incidents.',
  ]) {
    t.ok(acme.html.includes(landmark), landmark);
  }
  t.match(acme.html, /<span class="label">No data<\/span>/, 'status said in words');
  t.match(acme.html, /No status data yet/);

  const csp = acme.headers.get('content-security-policy') as string;
  const script = /<script>([\s\S]*?)<\/script>/.exec(acme.html)?.[1] as string;
  const style = /<style>([\s\S]*?)<\/style>/.exec(acme.html)?.[1] as string;
  t.match(csp, /default-src 'none'/);
  t.ok(csp.includes(`script-src ${hash(script)};`), 'the CSP allows exactly the inline script');
  t.ok(csp.includes(`style-src ${hash(style)};`), 'and the inline style');
  t.notMatch(csp, /unsafe-inline|unsafe-eval/);
  t.match(csp, /connect-src 'self'/);
  t.equal((acme.html.match(/<script/g) ?? []).length, 1, 'one script');
  t.notMatch(acme.html, / style="| on[a-z]+="/, 'no inline style or handler attributes');

  const globex = await page('?workspace=globex');
  t.equal(globex.status, 200);
  t.ok(globex.html.includes('Globex billing'));
  t.notOk(globex.html.includes('Public API'), 'the other way round too');
  const byHeader = await page('', { 'x-workspace-id': 'globex' });
  t.ok(byHeader.html.includes('Globex billing'), 'a reverse proxy may name the workspace in x-workspace-id');

  for (const query of ['?workspace=initech', '', '?workspace=%3Cb%3E']) {
    const missing = await page(query);
    t.equal(missing.status, 404, `no page for ${query || 'no workspace'}`);
    t.match(missing.headers.get('content-type'), /^text\/html/);
    t.match(missing.html, /Status page not found/);
    t.notMatch(missing.html, /<b>/);
  }
  await call(kernel, 'POST', '/api/v1/tenants', { headers: admin.headers, body: { tenant_id: 'initech', name: 'Initech', plan: 'pro' } });
  t.equal((await page('?workspace=initech')).status, 404, 'a workspace without components has no page, like an unknown one');
});

t.test('components follow heartbeat and SLA events; incidents, overall status and uptime bars', async (t) => {
  const { kernel, heartbeat, ping, push, component, becomes, page } = await statusWorld(t);
  const hb = await heartbeat();
  const backup = await component({ name: 'Backups', monitorType: 'heartbeat', monitorId: hb.id });
  await ping(`/ping/${hb.uuid}`);
  t.match(await becomes(backup.id, 'operational'), { statusSince: String }, 'a ping makes it operational');

  const serviceId = await push('galera', 'OPERATIONAL');
  const db = await component({ name: 'Database', monitorType: 'sla_service', monitorId: serviceId });
  t.equal(db.status, 'unknown', 'a new SLA service’s first status is not announced');
  await push('galera', 'DEGRADED');
  await becomes(db.id, 'degraded');
  let html = (await page()).html;
  t.match(html, /Degraded performance/);
  t.match(
    html,
    /<li data-status="degraded"><strong>Database<\/strong><span class="state"> Degraded performance<\/span> since <time datetime="[^"]+">/,
    'an active incident with its start',
  );

  await ping(`/ping/${hb.uuid}/fail`);
  const down = await becomes(backup.id, 'major_outage');
  html = (await page()).html;
  t.match(
    html,
    /id="overall" data-status="major_outage"><span class="icon" aria-hidden="true"><svg [^>]*>.*?<\/svg><\/span> <span class="label">Major outage<\/span>/,
  );
  t.ok(html.includes(`data-since="${down?.statusSince}"`), 'since when');
  t.match(html, /<i class="x" title="\d{4}-\d\d-\d\d: [\d.]+ % uptime"><\/i><\/div>/, 'today’s bar shows the outage');
  t.match(html, /Days with incidents or maintenance \(1\)/);

  await push('galera', 'MAINTENANCE');
  await becomes(db.id, 'maintenance');
  await ping(`/ping/${hb.uuid}`);
  await becomes(backup.id, 'operational');
  html = (await page()).html;
  t.match(html, /<span class="label">Maintenance in progress<\/span>/, 'the worst status left');
  t.match(html, /<strong>Database<\/strong><span class="state"> Under maintenance<\/span>/);

  const history = await kernel.database.query<{ status: string }>('SELECT status FROM status_monitor_change WHERE monitor_id = ? ORDER BY id', [hb.id]);
  t.same(
    history.map((h) => h.status),
    ['operational', 'major_outage', 'operational'],
    'one history row per change',
  );
  const announced = await kernel.database.query<{ payload: any }>("SELECT payload FROM event_outbox WHERE topic = 'status_page.component_changed' ORDER BY id");
  t.same(
    announced.map((e) => `${e.payload.name}: ${e.payload.previousStatus} → ${e.payload.status}`),
    [
      'Backups: unknown → operational',
      'Database: unknown → degraded',
      'Backups: operational → major_outage',
      'Database: degraded → maintenance',
      'Backups: major_outage → operational',
    ],
  );
});

t.test('90-day uptime bars come from the status history, by time', async (t) => {
  const { kernel, component, page } = await statusWorld(t);
  await component({ name: 'Worker', monitorType: 'container', monitorId: 'worker-1' });
  const day = 86_400_000;
  const today = Math.floor(Date.now() / day) * day;
  const at = (days: number, hours = 0) => new Date(today - days * day + hours * 3_600_000).toISOString();
  const date = (days: number) => at(days).slice(0, 10);
  // No data until 10 days ago; up, then down 6 hours 5 days ago, then up.
  for (const [when, status] of [
    [at(10), 'operational'],
    [at(5, 6), 'major_outage'],
    [at(5, 12), 'operational'],
  ]) {
    await kernel.database.query(
      "INSERT INTO status_monitor_change (tenant_id, monitor_type, monitor_id, at, status) VALUES ('acme', 'container', 'worker-1', ?, ?)",
      [when, status],
    );
  }
  await kernel.database.query(
    "INSERT INTO status_monitor (tenant_id, monitor_type, monitor_id, status, since, last_event_id) VALUES ('acme', 'container', 'worker-1', 'operational', ?, 1)",
    [at(5, 12)],
  );
  const html = (await page()).html;
  const bars = [...html.matchAll(/<i class="(\w)" title="([^"]+)"><\/i>/g)].map((m) => [m[1], m[2]]);
  t.equal(bars.length, 90, 'one bar per day');
  t.same(bars[0], ['n', `${date(89)}: no data`], 'oldest first');
  t.same(bars[78], ['n', `${date(11)}: no data`], 'no data before the first status');
  t.same(bars[79], ['o', `${date(10)}: 100 % uptime`]);
  t.same(bars[84], ['x', `${date(5)}: 75 % uptime`], 'six hours down of 24');
  t.same(bars[85], ['o', `${date(4)}: 100 % uptime`]);
  t.same(bars[89], ['o', `${date(0)}: 100 % uptime`], 'today so far');
  t.match(html, /<p class="summary">9[78](\.\d+)? % uptime over the last 90 days<\/p>/, 'the window’s uptime counts only monitored time');
  t.ok(html.includes(`<time datetime="${date(5)}">${date(5)}</time>: major outage, 75 % uptime`), 'the day is also listed in text');
});

t.test('the live stream: a snapshot, then status changes and page changes of its workspace only', async (t) => {
  const { kernel, globexAdmin, heartbeat, ping, component, becomes } = await statusWorld(t);
  const hb = await heartbeat();
  const c = await component({ name: 'Backups', monitorType: 'heartbeat', monitorId: hb.id });
  await component({ name: 'Globex', monitorType: 'container', monitorId: 'g' }, globexAdmin.headers);
  await ping(`/ping/${hb.uuid}`);
  const up = await becomes(c.id, 'operational');

  const missing = await call(kernel, 'GET', '/status/events?workspace=initech');
  t.equal(missing.status, 404, 'no stream for a workspace without a page');
  t.match(missing.json, { error: { code: 'not_found' } });

  const acme = await openSse(`${kernel.url}/status/events?workspace=acme`);
  const globex = await openSse(`${kernel.url}/status/events`, { 'x-workspace-id': 'globex' });
  t.teardown(() => {
    acme.close();
    globex.close();
  });
  t.match(acme.response.headers.get('content-type'), /^text\/event-stream/);
  const snapshot = await acme.next((f) => f.event === 'snapshot');
  t.same(
    snapshot.data,
    { components: [{ id: c.id, status: 'operational', since: up?.statusSince }], incidents: [], maintenances: [] },
    'the current state first',
  );
  t.match((await globex.next((f) => f.event === 'snapshot')).data, { components: [{ status: 'unknown', since: null }] });

  await ping(`/ping/${hb.uuid}/fail`);
  const change = await acme.next((f) => f.event === 'component');
  t.match(change.data, { id: c.id, status: 'major_outage', since: String });
  t.same(Object.keys(change.data).sort(), ['id', 'since', 'status'], 'no names or bindings on the public stream');

  await component({ name: 'New one', monitorType: 'container', monitorId: 'n' });
  t.same((await acme.next((f) => f.event === 'page')).data, {}, 'a changed page is announced');
  await component({ name: 'Globex two', monitorType: 'container', monitorId: 'g2' }, globexAdmin.headers);
  t.equal((await globex.next()).event, 'page', 'the other workspace hears only of its own page');
  await t.rejects(
    acme.next((f) => f.event === 'page', 1500),
    /no matching/,
    'acme hears nothing of globex',
  );
});

t.test('pausing, resuming and deleting a heartbeat show on the page and its stream', async (t) => {
  const { kernel, acmeOps, heartbeat, ping, component, becomes, page } = await statusWorld(t);
  const hb = await heartbeat();
  const c = await component({ name: 'Backups', monitorType: 'heartbeat', monitorId: hb.id });
  await ping(`/ping/${hb.uuid}`);
  await becomes(c.id, 'operational');
  const stream = await openSse(`${kernel.url}/status/events?workspace=acme`);
  t.teardown(() => stream.close());
  t.match((await stream.next((f) => f.event === 'snapshot')).data, { components: [{ id: c.id, status: 'operational' }] });

  /** The component as the server-rendered page shows it, and the same on the stream. */
  const shown = async () => {
    const { html } = await page();
    const item = new RegExp(
      `<li class="component" id="c-${c.id}"[^>]*data-status="(\\w+)" data-since="([^"]*)"[^>]*>[\\s\\S]*?<span class="label">([^<]+)</span>`,
    ).exec(html);
    const overall = /id="overall" data-status="(\w+)">.*?<span class="label">([^<]+)<\/span>/.exec(html);
    const incidents = /<ul id="incidents">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '';
    return { status: item?.[1], since: item?.[2], label: item?.[3], overall: overall?.[2], incidents };
  };
  const expect = async (action: () => Promise<number>, status: string, label: string, overall: string) => {
    t.ok([200, 204].includes(await action()), `${label}: the API answers`);
    // Waits past a late frame of an earlier change (delivery runs behind the database).
    const frame = await stream.next((f) => f.event === 'component' && f.data.id === c.id && f.data.status === status);
    t.same(Object.keys(frame.data).sort(), ['id', 'since', 'status'], `${label}: the stream says ${status}`);
    await becomes(c.id, status);
    const now = await shown();
    t.match(now, { status, since: frame.data.since, overall }, `${label}: the page says the same, since the same time`);
    return now;
  };
  const post = (path: string) => async () => (await call(kernel, 'POST', path, { headers: acmeOps.headers })).status;

  const paused = await expect(post(`/api/v1/heartbeats/${hb.id}/pause`), 'paused', 'paused', 'No status data yet');
  t.equal(paused.label, 'Paused', 'paused, not under maintenance (which staff announce)');
  t.equal(paused.incidents, '', 'a paused component is no incident');

  const resumed = await expect(post(`/api/v1/heartbeats/${hb.id}/resume`), 'unknown', 'resumed', 'No status data yet');
  t.equal(resumed.label, 'No data', 'a resumed heartbeat waits for its next ping, as a new one');
  t.equal(resumed.incidents, '', 'no incident');

  await ping(`/ping/${hb.uuid}`);
  t.ok(await stream.next((f) => f.event === 'component' && f.data.status === 'operational'), 'the next ping counts again');
  const deleted = await expect(
    async () => (await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).status,
    'unknown',
    'deleted',
    'No status data yet',
  );
  t.equal(deleted.label, 'No data', 'a component bound to a deleted heartbeat has no data from then on');

  const history = await kernel.database.query<{ status: string }>('SELECT status FROM status_monitor_change WHERE monitor_id = ? ORDER BY id', [hb.id]);
  t.same(
    history.map((h) => h.status),
    ['operational', 'paused', 'unknown', 'operational', 'unknown'],
  );
  const snapshot = await openSse(`${kernel.url}/status/events?workspace=acme`);
  t.teardown(() => snapshot.close());
  t.match((await snapshot.next((f) => f.event === 'snapshot')).data, { components: [{ id: c.id, status: 'unknown', since: String }] }, 'a new client too');
});

t.test('two nodes receive every event, and each change is applied and announced once', async (t) => {
  const { kernel, heartbeat, ping, component, becomes } = await statusWorld(t);
  const second = await startTestKernel(t, { plugins: [createContainersPlugin()], databaseUrl: kernel.database.url, env: { ITOPS_JOBS_ENABLED: 'false' } });
  t.ok(second.url, 'a second node on the same database');
  const hb = await heartbeat();
  const c = await component({ name: 'Backups', monitorType: 'heartbeat', monitorId: hb.id });
  for (const path of ['', '/fail', '', '/fail', '']) {
    await ping(`/ping/${hb.uuid}${path}`);
    await becomes(c.id, path ? 'major_outage' : 'operational');
  }
  // Give the slower node time to process the same events.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const history = await kernel.database.query<{ status: string }>('SELECT status FROM status_monitor_change WHERE monitor_id = ? ORDER BY id', [hb.id]);
  t.same(
    history.map((h) => h.status),
    ['operational', 'major_outage', 'operational', 'major_outage', 'operational'],
  );
  const announced = await eventually(async () => {
    const rows = await kernel.database.query<{ n: string }>("SELECT count(*) AS n FROM event_outbox WHERE topic = 'status_page.component_changed'");
    return rows[0].n;
  });
  t.equal(Number(announced), 5, 'one event per change, not one per node');
});

t.test('history older than 100 days is pruned, keeping what held when the window begins', async (t) => {
  const { kernel } = await statusWorld(t);
  const now = new Date('2025-06-01T00:00:00Z');
  const daysAgo = (n: number) => new Date(now.getTime() - n * 86_400_000).toISOString();
  for (const [monitor, days, status] of [
    ['a', 300, 'operational'],
    ['a', 200, 'major_outage'],
    ['a', 150, 'operational'],
    ['a', 10, 'degraded'],
    ['b', 120, 'operational'],
  ] as [string, number, string][]) {
    await kernel.database.query("INSERT INTO status_monitor_change (tenant_id, monitor_type, monitor_id, at, status) VALUES ('acme', 'container', ?, ?, ?)", [
      monitor,
      daysAgo(days),
      status,
    ]);
  }
  t.equal(await pruneStatusHistory(kernel.database as unknown as DatabaseService, now), 2);
  const left = await kernel.database.query<{ monitor_id: string; status: string }>(
    'SELECT monitor_id, status FROM status_monitor_change ORDER BY monitor_id, at',
  );
  t.same(
    left.map((r) => `${r.monitor_id} ${r.status}`),
    ['a operational', 'a degraded', 'b operational'],
  );
});

t.test('a node holds a bounded number of public streams and frees them when clients leave', async (t) => {
  const { kernel, acmeOps } = await startWorld(t, { plugins: [createContainersPlugin({ maxStatusStreams: 1 })] });
  await call(kernel, 'POST', '/api/v1/status/components', { headers: acmeOps.headers, body: { name: 'Web', monitorType: 'container', monitorId: 'web' } });
  await publishStatusPage(kernel, 'acme', acmeOps.headers);
  const first = await openSse(`${kernel.url}/status/events?workspace=acme`);
  await first.next((f) => f.event === 'snapshot');
  const refused = await call(kernel, 'GET', '/status/events?workspace=acme');
  t.equal(refused.status, 503);
  t.equal(refused.headers.get('retry-after'), '30');
  t.match(refused.json, { error: { code: 'unavailable' } });
  first.close();
  const again = await eventually(async () => {
    const stream = await openSse(`${kernel.url}/status/events?workspace=acme`);
    if (stream.response.status === 200) return stream;
    stream.close();
    return undefined;
  });
  t.equal(again?.response.status, 200, 'a closed stream frees its place');
  again?.close();
});
