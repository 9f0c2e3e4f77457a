import t from 'tap';
import type { Kernel } from '../kernel/kernel.ts';
import { type AlertsService, definePlugin, type RaiseAlert, type ResolveAlert, tokens } from '../plugin-api/index.ts';
import { call } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { embeddedIPv4Hosts } from '../outbound/embedded-ipv4.testkit.ts';
import { startWorld } from '../testing/identity-fixtures.ts';

/** One local receiver for every channel; the path tells them apart (/slack, /discord, ...). */
async function receiver(t: { teardown(fn: () => unknown): void }) {
  const server = await startReceiver(t, (request) => (request.path === '/broken' ? { status: 404, body: 'no_service' } : { status: 200, body: 'ok' }));
  const received = () => server.received.map((r) => ({ path: r.path, body: JSON.parse(r.body) }));
  return {
    url: server.url,
    get received() {
      return received();
    },
    at: (path: string) => received().filter((r) => r.path === path),
    connections: server.connections,
  };
}

/** A test plugin that hands over the kernel's AlertService, as any plugin gets it. */
function alertsProbe() {
  const handle: { alerts?: AlertsService } = {};
  const plugin = definePlugin({
    id: 'alerts_probe',
    version: '1.0.0',
    host: '>=0.1.0 <1.0.0',
    init(ctx) {
      handle.alerts = ctx.get(tokens.alerts);
    },
  });
  return { plugin, alerts: () => handle.alerts as AlertsService };
}

const privateOk = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '1' };

async function world(t: { teardown(fn: () => unknown): void }, env: Record<string, string> = privateOk) {
  const probe = alertsProbe();
  const w = await startWorld(t, { plugins: [probe.plugin], env });
  const service = probe.alerts();
  // Each call runs in its own transaction of the alert's tenant, as a plugin's request would.
  const alerts = {
    raise: (alert: RaiseAlert) => w.kernel.database.forTenant(alert.tenantId).transaction((tx) => service.raise(tx, alert)),
    resolve: (alert: ResolveAlert) => w.kernel.database.forTenant(alert.tenantId).transaction((tx) => service.resolve(tx, alert)),
  };
  return { ...w, alerts };
}

async function createChannel(kernel: Kernel, headers: Record<string, string>, body: Record<string, unknown>) {
  const created = await call(kernel, 'POST', '/api/v1/channels', { headers, body });
  if (created.status !== 201) throw new Error(`channel: ${created.status} ${created.text}`);
  return created.json;
}

const disk = { tenantId: 'acme', source: 'hosts', entityType: 'host', entityId: 'db-1', severity: 'warning' as const, title: 'Disk almost full' };

t.test('raising de-duplicates by fingerprint; resolving closes; raising again opens a new alert; channels hear each change', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, alerts } = await world(t);
  const rx = await receiver(t);
  const channel = await createChannel(kernel, acmeAdmin.headers, { name: 'ops hook', type: 'webhook', url: rx.url('/hook') });

  const first = await alerts.raise({ ...disk, message: '91% used', labels: { env: 'prod' } });
  t.match(first, { status: 'firing', count: 1, severity: 'warning', labels: { env: 'prod' }, fingerprint: /^[0-9a-f]{32}$/ });
  const again = await alerts.raise({ ...disk, severity: 'critical', message: '97% used', labels: { env: 'prod' } });
  t.equal(again.id, first.id, 'the same firing alert');
  t.match(again, { count: 2, severity: 'critical', message: '97% used' });
  t.ok(Date.parse(again.lastSeenAt) >= Date.parse(first.lastSeenAt));

  const active = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeViewer.headers });
  t.equal(active.status, 200);
  t.match(active.json, { data: [{ id: first.id, count: 2, status: 'firing' }], page: { total: 1 }, filters: { status: 'firing' } });

  const triggered = await eventually(() => rx.at('/hook')[0]);
  t.match(triggered?.body, { type: 'alert.triggered', alert: { id: first.id, title: 'Disk almost full', source: 'hosts' } });

  const resolved = await alerts.resolve({ tenantId: 'acme', source: 'hosts', entityType: 'host', entityId: 'db-1', title: 'Disk almost full' });
  t.match(resolved, { id: first.id, status: 'resolved', resolvedAt: String });
  t.equal(await alerts.resolve({ tenantId: 'acme', fingerprint: first.fingerprint }), null, 'nothing left to resolve');
  t.same((await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeViewer.headers })).json.data, []);
  t.match(await eventually(() => rx.at('/hook')[1]), { body: { type: 'alert.resolved', alert: { id: first.id, status: 'resolved' } } });

  const reopened = await alerts.raise(disk);
  t.not(reopened.id, first.id, 'raising after resolution opens a new alert');
  t.equal(reopened.count, 1);
  const all = await call(kernel, 'GET', '/api/v1/alerts?sortBy=firstSeenAt&sortOrder=asc', { headers: acmeViewer.headers });
  t.match(all.json, {
    data: [
      { id: first.id, status: 'resolved' },
      { id: reopened.id, status: 'firing' },
    ],
    page: { total: 2 },
  });
  t.equal((await call(kernel, 'GET', '/api/v1/alerts?status=resolved', { headers: acmeViewer.headers })).json.data.length, 1);
  t.equal((await call(kernel, 'GET', '/api/v1/alerts?q=almost', { headers: acmeViewer.headers })).json.page.total, 2);

  await eventually(() => rx.at('/hook')[2]);
  const detail = await call(kernel, 'GET', `/api/v1/alerts/${first.id}`, { headers: acmeViewer.headers });
  t.equal(detail.status, 200);
  t.match(detail.json, {
    id: first.id,
    notifications: [
      { channelId: channel.id, channelName: 'ops hook', kind: 'firing', status: 'sent', attempts: 1, lastStatusCode: 200 },
      { kind: 'resolved', status: /pending|sent/ },
    ],
  });

  const topics = await kernel.database.query<{ topic: string }>("SELECT topic FROM event_outbox WHERE tenant_id = 'acme' AND topic LIKE 'alert.%' ORDER BY id");
  t.same(
    topics.map((r) => r.topic),
    ['alert.triggered', 'alert.resolved', 'alert.triggered'],
    'opening and closing publish through the outbox; repeats do not',
  );
  await t.rejects(alerts.raise({ ...disk, severity: 'bad' as never }), { code: 'validation_failed' });
});

t.test('routing rules pick the channels, each in its own format', async (t) => {
  const { kernel, acmeAdmin, alerts } = await world(t);
  const rx = await receiver(t);
  const slack = await createChannel(kernel, acmeAdmin.headers, { name: 'slack', type: 'slack', url: rx.url('/slack') });
  const discord = await createChannel(kernel, acmeAdmin.headers, { name: 'discord', type: 'discord', url: rx.url('/discord') });
  const teams = await createChannel(kernel, acmeAdmin.headers, { name: 'teams', type: 'teams', url: rx.url('/teams') });
  await createChannel(kernel, acmeAdmin.headers, { name: 'off', type: 'webhook', url: rx.url('/off'), enabled: false });
  const rule = await call(kernel, 'POST', `/api/v1/channels/${slack.id}/rules`, { headers: acmeAdmin.headers, body: { source: 'sla' } });
  t.equal(rule.status, 201);
  t.match(rule.json, { channelId: slack.id, source: 'sla', minSeverity: null, labels: {} });
  await call(kernel, 'POST', `/api/v1/channels/${discord.id}/rules`, { headers: acmeAdmin.headers, body: { minSeverity: 'critical' } });
  await call(kernel, 'POST', `/api/v1/channels/${teams.id}/rules`, { headers: acmeAdmin.headers, body: { labels: { team: 'db' } } });

  const listed = await call(kernel, 'GET', '/api/v1/channels', { headers: acmeAdmin.headers });
  t.match(
    listed.json.data.find((c: any) => c.id === slack.id),
    { rules: [{ id: rule.json.id, source: 'sla' }], url: /^http:\/\/127\.0\.0\.1:\d+\/…/ },
  );
  t.notOk(JSON.stringify(listed.json).includes('/slack'), 'URLs are masked in lists');

  const sla = await alerts.raise({ tenantId: 'acme', source: 'sla', entityType: 'endpoint', entityId: 'api', severity: 'warning', title: 'API slow' });
  const crash = await alerts.raise({
    tenantId: 'acme',
    source: 'containers',
    entityType: 'container',
    entityId: 'web',
    severity: 'critical',
    title: 'Crash loop',
  });
  const db = await alerts.raise({
    tenantId: 'acme',
    source: 'containers',
    entityType: 'container',
    entityId: 'pg',
    severity: 'info',
    title: 'Restarted',
    labels: { team: 'db', env: 'prod' },
  });
  const nobody = await alerts.raise({ tenantId: 'acme', source: 'containers', entityType: 'container', entityId: 'x', severity: 'info', title: 'Quiet' });
  await eventually(() => (rx.received.length >= 3 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 500));

  t.same(rx.received.map((r) => r.path).sort(), ['/discord', '/slack', '/teams'], 'one notification each, none to the disabled channel');
  t.match(rx.at('/slack')[0].body, {
    text: /\[FIRING:warning\] API slow/,
    blocks: [
      { type: 'header', text: { type: 'plain_text' } },
      { type: 'section', text: { type: 'mrkdwn' } },
      { type: 'section', fields: Array },
      { type: 'context' },
    ],
  });
  t.match(rx.at('/discord')[0].body, {
    content: '[FIRING:critical] Crash loop',
    embeds: [{ title: 'Crash loop', color: 0xd32f2f, fields: [{ name: 'Severity', value: 'critical' }] }],
  });
  t.match(rx.at('/teams')[0].body, {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: '[FIRING:info] Restarted',
    themeColor: '1976D2',
    title: '[FIRING:info] Restarted',
    text: 'Restarted',
    sections: [{ facts: Array }],
  });
  for (const [alert, channel] of [
    [sla, 'slack'],
    [crash, 'discord'],
    [db, 'teams'],
  ] as const) {
    const detail = await eventually(async () => {
      const d = (await call(kernel, 'GET', `/api/v1/alerts/${alert.id}`, { headers: acmeAdmin.headers })).json;
      return d.notifications[0]?.status === 'sent' ? d : undefined;
    });
    t.match(detail?.notifications, [{ channelName: channel, status: 'sent' }], `${alert.title} went to ${channel}`);
  }
  const quiet = (await call(kernel, 'GET', `/api/v1/alerts/${nobody.id}`, { headers: acmeAdmin.headers })).json;
  t.same(quiet.notifications, [], 'an alert no rule matches notifies nobody');

  t.equal((await call(kernel, 'DELETE', `/api/v1/channels/${slack.id}/rules/${rule.json.id}`, { headers: acmeAdmin.headers })).status, 204);
  t.same((await call(kernel, 'GET', '/api/v1/channels', { headers: acmeAdmin.headers })).json.data.find((c: any) => c.id === slack.id).rules, []);
});

t.test('a silenced alert is recorded but not notified until the silence is cancelled', async (t) => {
  const { kernel, acmeAdmin, acmeOps, acmeViewer, alerts } = await world(t);
  const rx = await receiver(t);
  await createChannel(kernel, acmeAdmin.headers, { name: 'all', type: 'webhook', url: rx.url('/hook') });
  const silence = await call(kernel, 'POST', '/api/v1/silence', {
    headers: acmeOps.headers,
    body: { matchers: { source: 'backup', labels: { env: 'prod' } }, endsAt: new Date(Date.now() + 3600_000).toISOString(), comment: 'maintenance window' },
  });
  t.equal(silence.status, 201);
  t.match(silence.json, { state: 'active', createdBy: 'olivia@acme.test', comment: 'maintenance window', matchers: { source: 'backup' } });
  const upcoming = await call(kernel, 'POST', '/api/v1/silence', {
    headers: acmeOps.headers,
    body: { matchers: {}, startsAt: new Date(Date.now() + 3600_000).toISOString(), endsAt: new Date(Date.now() + 7200_000).toISOString(), comment: 'later' },
  });
  t.match(upcoming.json, { state: 'pending' });

  const backup = {
    tenantId: 'acme',
    source: 'backup',
    entityType: 'job',
    entityId: 'nightly',
    severity: 'critical' as const,
    title: 'Backup failed',
    labels: { env: 'prod' },
  };
  const silenced = await alerts.raise(backup);
  t.equal(silenced.silencedBy, silence.json.id);
  t.equal(silenced.notifiedAt, null);
  const other = await alerts.raise({ ...backup, labels: { env: 'dev' }, title: 'Backup slow' });
  t.equal(other.silencedBy, null, 'labels must match too');
  await eventually(() => rx.at('/hook')[0]);
  await new Promise((resolve) => setTimeout(resolve, 700));
  t.same(
    rx.received.map((r) => r.body.alert.title),
    ['Backup slow'],
    'only the unsilenced alert was notified',
  );
  const active = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeViewer.headers });
  t.equal(active.json.page.total, 2, 'the silenced alert is still recorded');

  const listed = await call(kernel, 'GET', '/api/v1/silence', { headers: acmeViewer.headers });
  t.same(
    listed.json.data.map((s: any) => s.id),
    [silence.json.id, upcoming.json.id],
  );
  t.equal((await call(kernel, 'DELETE', `/api/v1/silence/${silence.json.id}`, { headers: acmeOps.headers })).status, 204);
  t.same(
    (await call(kernel, 'GET', '/api/v1/silence', { headers: acmeViewer.headers })).json.data.map((s: any) => s.id),
    [upcoming.json.id],
  );
  t.match((await call(kernel, 'GET', '/api/v1/silence?includeExpired=true', { headers: acmeViewer.headers })).json.data, [
    { state: 'cancelled' },
    { state: 'pending' },
  ]);

  const after = await alerts.raise(backup);
  t.equal(after.id, silenced.id);
  t.equal(after.silencedBy, null);
  t.ok(after.notifiedAt);
  t.match(await eventually(() => rx.received.find((r) => r.body.alert.title === 'Backup failed')), { body: { alert: { id: silenced.id, count: 2 } } });
});

t.test('the channel test endpoint and /integrations/notifications/test deliver a test message', async (t) => {
  const { kernel, acmeAdmin } = await world(t);
  const rx = await receiver(t);
  const slack = await createChannel(kernel, acmeAdmin.headers, { name: 'slack', type: 'slack', url: rx.url('/slack'), enabled: false });
  const broken = await createChannel(kernel, acmeAdmin.headers, { name: 'broken', type: 'discord', url: rx.url('/broken') });

  const tested = await call(kernel, 'POST', `/api/v1/channels/${slack.id}/test`, { headers: acmeAdmin.headers });
  t.equal(tested.status, 200);
  t.match(tested.json, { channelId: slack.id, kind: 'test', status: 'sent', attempts: 1, lastStatusCode: 200, alertId: null });
  t.match(rx.at('/slack')[0].body, { text: /\[TEST\]/, blocks: Array });

  const byName = await call(kernel, 'POST', '/api/v1/integrations/notifications/test', {
    headers: acmeAdmin.headers,
    body: { channel: 'slack', message: 'hello ops' },
  });
  t.equal(byName.status, 200);
  t.match(byName.json, { status: 'sent', channelName: 'slack' });
  t.match(rx.at('/slack')[1].body, { text: /hello ops/ });
  const byId = await call(kernel, 'POST', '/api/v1/integrations/notifications/test', { headers: acmeAdmin.headers, body: { channelId: slack.id } });
  t.match(byId.json, { status: 'sent' });

  const failed = await call(kernel, 'POST', `/api/v1/channels/${broken.id}/test`, { headers: acmeAdmin.headers, body: { message: 'x' } });
  t.match(failed.json, { status: 'failed', lastStatusCode: 404, lastError: /answered 404: no_service/ });

  const renamed = await call(kernel, 'PUT', `/api/v1/channels/${slack.id}`, { headers: acmeAdmin.headers, body: { name: 'slack-ops', enabled: true } });
  t.equal(renamed.status, 200);
  t.match(renamed.json, { name: 'slack-ops', enabled: true, type: 'slack' });
  t.equal((await call(kernel, 'PUT', `/api/v1/channels/${slack.id}`, { headers: acmeAdmin.headers, body: { name: 'broken' } })).status, 409);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/channels', { headers: acmeAdmin.headers, body: { name: 'broken', type: 'slack', url: 'https://x.example.org' } }))
      .status,
    409,
  );
  t.equal((await call(kernel, 'DELETE', `/api/v1/channels/${slack.id}`, { headers: acmeAdmin.headers })).status, 204);
  t.equal((await call(kernel, 'POST', '/api/v1/integrations/notifications/test', { headers: acmeAdmin.headers, body: { channel: 'slack-ops' } })).status, 404);
});

t.test('a channel on a private address is refused by the outbound guard and recorded as failed', async (t) => {
  const { kernel, acmeAdmin, alerts } = await world(t, {});
  const rx = await receiver(t);
  await createChannel(kernel, acmeAdmin.headers, { name: 'local', type: 'slack', url: rx.url('/slack') });
  const alert = await alerts.raise({ tenantId: 'acme', source: 'sla', entityType: 'endpoint', entityId: 'api', severity: 'critical', title: 'Down' });
  const detail = await eventually(async () => {
    const d = (await call(kernel, 'GET', `/api/v1/alerts/${alert.id}`, { headers: acmeAdmin.headers })).json;
    return d.notifications[0]?.status === 'failed' ? d : undefined;
  });
  t.match(detail?.notifications, [{ status: 'failed', attempts: 1, lastError: /blocked: .*127\.0\.0\.1 is in a blocked range \(loopback\)/ }]);
  const tested = await call(kernel, 'POST', '/api/v1/integrations/notifications/test', { headers: acmeAdmin.headers, body: { channel: 'local' } });
  t.match(tested.json, { status: 'failed', lastError: /blocked/ });
  t.equal(rx.connections(), 0, 'no socket was opened');
});

t.test('channels on IPv6 forms embedding a private IPv4 address are refused by the outbound guard', async (t) => {
  const { kernel, acmeAdmin } = await world(t, {});
  const rx = await receiver(t);
  const port = new URL(rx.url('/')).port;
  for (const [i, host] of embeddedIPv4Hosts.entries()) {
    const channel = await createChannel(kernel, acmeAdmin.headers, { name: `embedded-${i}`, type: 'slack', url: `http://${host}:${port}/slack` });
    const tested = await call(kernel, 'POST', `/api/v1/channels/${channel.id}/test`, { headers: acmeAdmin.headers });
    t.match(tested.json, { status: 'failed', lastError: /blocked: .*blocked range/ }, host);
  }
  t.equal(rx.connections(), 0, 'no socket was opened');
});

t.test('alert, channel and silence endpoints: bad input, no auth, wrong role, other tenant', async (t) => {
  const { kernel, acmeAdmin, acmeOps, acmeViewer, globexAdmin, alerts } = await world(t);
  const alert = await alerts.raise({ tenantId: 'acme', source: 'sla', entityType: 'endpoint', entityId: 'api', severity: 'info', title: 'Slow' });
  const channel = await createChannel(kernel, acmeAdmin.headers, { name: 'hook', type: 'webhook', url: 'https://hooks.example.org/in' });
  const rule = (await call(kernel, 'POST', `/api/v1/channels/${channel.id}/rules`, { headers: acmeAdmin.headers, body: { source: 'sla' } })).json;
  const silence = (
    await call(kernel, 'POST', '/api/v1/silence', {
      headers: acmeOps.headers,
      body: { matchers: { source: 'x' }, endsAt: new Date(Date.now() + 60_000).toISOString(), comment: 'c' },
    })
  ).json;
  const future = new Date(Date.now() + 60_000).toISOString();

  const bad: [string, string, unknown][] = [
    ['GET', '/api/v1/alerts?limit=0', undefined],
    ['GET', '/api/v1/alerts?sortBy=nope', undefined],
    ['GET', '/api/v1/alerts/active?severity=fatal', undefined],
    ['GET', '/api/v1/alerts/not-a-uuid', undefined],
    ['POST', '/api/v1/channels', { name: 'x', type: 'pager', url: 'https://x.example.org' }],
    ['POST', '/api/v1/channels', { name: 'x', type: 'slack', url: 'ftp://x.example.org' }],
    ['POST', '/api/v1/channels', { name: 'x', type: 'slack' }],
    ['PUT', `/api/v1/channels/${channel.id}`, {}],
    ['PUT', `/api/v1/channels/${channel.id}`, { url: 'not a url' }],
    ['POST', `/api/v1/channels/${channel.id}/rules`, { minSeverity: 'fatal' }],
    ['POST', `/api/v1/channels/${channel.id}/rules`, { labels: { team: 3 } }],
    ['POST', `/api/v1/channels/${channel.id}/test`, { message: '' }],
    ['DELETE', `/api/v1/channels/${channel.id}/rules/nope`, undefined],
    ['POST', '/api/v1/silence', { matchers: {}, comment: 'no end' }],
    ['POST', '/api/v1/silence', { matchers: {}, endsAt: new Date(Date.now() - 1000).toISOString(), comment: 'past' }],
    ['POST', '/api/v1/silence', { matchers: {}, startsAt: future, endsAt: future, comment: 'empty period' }],
    ['POST', '/api/v1/silence', { matchers: { color: 'red' }, endsAt: future, comment: 'unknown matcher' }],
    ['GET', '/api/v1/silence?includeExpired=maybe', undefined],
    ['DELETE', '/api/v1/silence/nope', undefined],
    ['POST', '/api/v1/integrations/notifications/test', {}],
    ['POST', '/api/v1/integrations/notifications/test', { channelId: channel.id, channel: 'hook' }],
  ];
  for (const [method, path, body] of bad) {
    const response = await call(kernel, method, path, { headers: acmeAdmin.headers, body });
    t.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${response.text}`);
  }

  const everyOperation: [string, string][] = [
    ['GET', '/api/v1/alerts'],
    ['GET', '/api/v1/alerts/active'],
    ['GET', `/api/v1/alerts/${alert.id}`],
    ['GET', '/api/v1/channels'],
    ['POST', '/api/v1/channels'],
    ['PUT', `/api/v1/channels/${channel.id}`],
    ['DELETE', `/api/v1/channels/${channel.id}`],
    ['POST', `/api/v1/channels/${channel.id}/test`],
    ['POST', `/api/v1/channels/${channel.id}/rules`],
    ['DELETE', `/api/v1/channels/${channel.id}/rules/${rule.id}`],
    ['GET', '/api/v1/silence'],
    ['POST', '/api/v1/silence'],
    ['DELETE', `/api/v1/silence/${silence.id}`],
    ['POST', '/api/v1/integrations/notifications/test'],
  ];
  for (const [method, path] of everyOperation) t.equal((await call(kernel, method, path)).status, 401, `${method} ${path} without credentials`);

  const writes: [string, string, unknown][] = [
    ['POST', '/api/v1/channels', { name: 'v', type: 'slack', url: 'https://x.example.org' }],
    ['PUT', `/api/v1/channels/${channel.id}`, { enabled: false }],
    ['DELETE', `/api/v1/channels/${channel.id}`, undefined],
    ['POST', `/api/v1/channels/${channel.id}/test`, undefined],
    ['POST', `/api/v1/channels/${channel.id}/rules`, {}],
    ['DELETE', `/api/v1/channels/${channel.id}/rules/${rule.id}`, undefined],
    ['POST', '/api/v1/silence', { matchers: {}, endsAt: future, comment: 'v' }],
    ['DELETE', `/api/v1/silence/${silence.id}`, undefined],
    ['POST', '/api/v1/integrations/notifications/test', { channel: 'hook' }],
  ];
  for (const [method, path, body] of writes) {
    t.equal((await call(kernel, method, path, { headers: acmeViewer.headers, body })).status, 403, `${method} ${path} as a viewer`);
  }
  t.equal(
    (await call(kernel, 'POST', '/api/v1/channels', { headers: acmeOps.headers, body: writes[0][2] })).status,
    403,
    'ops engineers do not manage channels',
  );
  for (const path of ['/api/v1/alerts', '/api/v1/alerts/active', `/api/v1/alerts/${alert.id}`, '/api/v1/channels', '/api/v1/silence']) {
    t.equal((await call(kernel, 'GET', path, { headers: acmeViewer.headers })).status, 200, `a viewer reads ${path}`);
  }

  for (const [method, path, body] of [
    ['GET', `/api/v1/alerts/${alert.id}`, undefined],
    ['PUT', `/api/v1/channels/${channel.id}`, { enabled: false }],
    ['DELETE', `/api/v1/channels/${channel.id}`, undefined],
    ['POST', `/api/v1/channels/${channel.id}/test`, undefined],
    ['POST', `/api/v1/channels/${channel.id}/rules`, {}],
    ['DELETE', `/api/v1/channels/${channel.id}/rules/${rule.id}`, undefined],
    ['DELETE', `/api/v1/silence/${silence.id}`, undefined],
    ['POST', '/api/v1/integrations/notifications/test', { channelId: channel.id }],
    ['POST', '/api/v1/integrations/notifications/test', { channel: 'hook' }],
  ] as [string, string, unknown][]) {
    t.equal((await call(kernel, method, path, { headers: globexAdmin.headers, body })).status, 404, `${method} ${path} from another tenant`);
  }
  t.equal((await call(kernel, 'GET', '/api/v1/alerts', { headers: globexAdmin.headers })).json.page.total, 0);
  t.same((await call(kernel, 'GET', '/api/v1/channels', { headers: globexAdmin.headers })).json.data, []);
  t.same((await call(kernel, 'GET', '/api/v1/silence', { headers: globexAdmin.headers })).json.data, []);
  t.equal(
    (await call(kernel, 'DELETE', `/api/v1/channels/${channel.id}/rules/00000000-0000-4000-8000-000000000000`, { headers: acmeAdmin.headers })).status,
    404,
    'an unknown rule',
  );
});

t.test('acknowledging a firing alert records who took it on, once; resolved, foreign and unauthorized requests change nothing', async (t) => {
  const { kernel, acmeOps, acmeViewer, globexAdmin, alerts } = await world(t);
  const raised = await alerts.raise({ tenantId: 'acme', source: 'sla', entityType: 'service', entityId: 'api', severity: 'critical', title: 'API down' });
  const path = `/api/v1/alerts/${raised.id}/acknowledge`;
  t.match(raised, { acknowledgedAt: null, acknowledgedBy: null });

  t.equal((await call(kernel, 'POST', path)).status, 401);
  t.equal((await call(kernel, 'POST', path, { headers: acmeViewer.headers })).status, 403, 'a viewer cannot');
  t.equal((await call(kernel, 'POST', path, { headers: globexAdmin.headers })).status, 404, 'another workspace’s alert is not found');
  const bad = await call(kernel, 'POST', path, { headers: acmeOps.headers, body: { comment: '' } });
  t.equal(bad.status, 400);
  t.match(bad.json, { error: { code: 'validation_failed' } });
  t.match((await call(kernel, 'GET', `/api/v1/alerts/${raised.id}`, { headers: acmeOps.headers })).json, { acknowledgedAt: null }, 'nothing changed');

  const acked = await call(kernel, 'POST', path, { headers: acmeOps.headers, body: { comment: 'looking into it' } });
  t.equal(acked.status, 200, acked.text);
  t.match(acked.json, { id: raised.id, status: 'firing', acknowledgedAt: String, acknowledgedBy: String });
  const again = await call(kernel, 'POST', path, { headers: acmeOps.headers });
  t.equal(again.json.acknowledgedAt, acked.json.acknowledgedAt, 'a second acknowledgement changes nothing');
  const events = await kernel.database.platform.query<{ payload: any }>("SELECT payload FROM event_outbox WHERE topic = 'alert.acknowledged'");
  t.same(
    events.map((e) => [e.payload.alertId, e.payload.comment]),
    [[raised.id, 'looking into it']],
    'one event',
  );

  await alerts.resolve({ tenantId: 'acme', source: 'sla', entityType: 'service', entityId: 'api', title: 'API down' });
  const next = await alerts.raise({ tenantId: 'acme', source: 'sla', entityType: 'service', entityId: 'api', severity: 'critical', title: 'API down' });
  t.not(next.id, raised.id);
  t.match(next, { acknowledgedAt: null }, 'the same trouble firing again is a new, unacknowledged alert');
  const resolvedAck = await call(kernel, 'POST', path, { headers: acmeOps.headers });
  t.equal(resolvedAck.status, 409, 'a resolved alert is not acknowledged');
  t.match(resolvedAck.json, { error: { code: 'conflict' } });
});
