import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import t from 'tap';
import type { Kernel } from '../kernel/kernel.ts';
import { type AlertsService, definePlugin, type RaiseAlert, type ResolveAlert, tokens } from '../plugin-api/index.ts';
import { call } from '../plugin-api/testing.ts';
import { dumpAllRows } from '../secrets/secrets.testkit.ts';
import { eventually } from '../testing/eventually.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { startWorld } from '../testing/identity-fixtures.ts';

/** A local SMTP relay (the smtp-server package) that keeps every message it accepts. */
async function smtpRelay(t: { teardown(fn: () => unknown): void }) {
  const mails: { from: string; to: string[]; raw: string }[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (chunk: Buffer) => {
        raw += chunk.toString('utf8');
      });
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, mails, connections: () => connections };
}

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

async function world(t: { teardown(fn: () => unknown): void }, env: Record<string, string>) {
  const probe = alertsProbe();
  const w = await startWorld(t, { plugins: [probe.plugin], env: { ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '1', ...env } });
  const service = probe.alerts();
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

const disk = {
  tenantId: 'acme',
  source: 'hosts',
  entityType: 'host',
  entityId: 'db-1',
  severity: 'critical' as const,
  title: 'Disk almost full',
  message: '97% used',
};
const allowLocal = { ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST: '127.0.0.1' };

t.test('each HTTP integration gets a firing and a resolved notification in its service format', async (t) => {
  const { kernel, acmeAdmin, alerts } = await world(t, allowLocal);
  const rx = await startReceiver(t, (r) => ({ status: r.path.startsWith('/og') ? 202 : 200, body: '{"ok":true}' }));
  const at = (prefix: string) => rx.received.filter((r) => r.path.startsWith(prefix)).map((r) => ({ ...r, json: JSON.parse(r.body) }));
  const secrets = {
    routingKey: 'R0UTINGKEY0123456789abcdef012345',
    apiKey: 'og-key-0000-1111-2222-333344445555',
    botToken: '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11',
    ntfyToken: 'tk_ntfysecrettoken000000000001',
    appToken: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi',
    userKey: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
    gotifyToken: 'AaBbCcDdEeFf0123',
  };
  const channels = [
    { name: 'pd', type: 'pagerduty', config: { routingKey: secrets.routingKey, eventsUrl: rx.url('/pd/v2/enqueue') } },
    { name: 'og', type: 'opsgenie', config: { apiKey: secrets.apiKey, apiUrl: rx.url('/og') } },
    { name: 'tg', type: 'telegram', config: { botToken: secrets.botToken, chatId: '-100123', apiUrl: rx.url('/tg') } },
    { name: 'ntfy', type: 'ntfy', config: { serverUrl: rx.url('/ntfy'), topic: 'ops-alerts', token: secrets.ntfyToken } },
    { name: 'po', type: 'pushover', config: { appToken: secrets.appToken, userKey: secrets.userKey, apiUrl: rx.url('/po/1/messages.json') } },
    { name: 'gotify', type: 'gotify', config: { serverUrl: rx.url('/gotify'), appToken: secrets.gotifyToken } },
    { name: 'mm', type: 'mattermost', config: { url: rx.url('/mm/hooks/xyz'), username: 'itops' } },
    { name: 'rc', type: 'rocketchat', url: rx.url('/rc/hooks/abc') },
    { name: 'tw', type: 'teams-workflow', config: { url: rx.url('/tw/workflows/run') } },
  ];
  for (const channel of channels) await createChannel(kernel, acmeAdmin.headers, channel);
  const dump = await dumpAllRows(kernel.database.platform.query);
  t.ok(dump.includes('ops-alerts'), 'settings that are not secret stay readable in the row');
  for (const secret of [...Object.values(secrets), '/mm/hooks/xyz', '/rc/hooks/abc', '/tw/workflows/run']) {
    t.notOk(dump.includes(secret), `${secret.slice(0, 8)}… is sealed in the secrets store, nowhere in a dump`);
  }

  const listed = await call(kernel, 'GET', '/api/v1/channels', { headers: acmeAdmin.headers });
  t.equal(listed.status, 200);
  for (const secret of Object.values(secrets)) t.notOk(listed.text.includes(secret), 'no secret is echoed');
  t.match(
    listed.json.data.find((c: { name: string }) => c.name === 'pd'),
    { type: 'pagerduty', config: { routingKey: '…2345', eventsUrl: rx.url('/pd/v2/enqueue') } },
  );
  t.match(
    listed.json.data.find((c: { name: string }) => c.name === 'mm'),
    { url: /^http:\/\/127\.0\.0\.1:\d+\/…/, config: { username: 'itops' } },
  );

  const alert = await alerts.raise(disk);
  await eventually(() => (channels.every((c) => rx.received.some((r) => r.path.startsWith(`/${c.name}`))) ? true : undefined));
  await alerts.resolve({ tenantId: 'acme', fingerprint: alert.fingerprint });
  await eventually(() => (at('/og').length >= 2 && at('/pd').length >= 2 && rx.received.length >= channels.length * 2 ? true : undefined));

  const [pdFire, pdResolve] = at('/pd');
  t.equal(pdFire.path, '/pd/v2/enqueue');
  t.match(pdFire.json, {
    routing_key: secrets.routingKey,
    event_action: 'trigger',
    dedup_key: alert.fingerprint,
    payload: { summary: '[FIRING:critical] Disk almost full', source: 'host/db-1', severity: 'critical', timestamp: String },
  });
  t.same(pdResolve.json, { routing_key: secrets.routingKey, client: 'itops', event_action: 'resolve', dedup_key: alert.fingerprint });

  const [ogCreate, ogClose] = at('/og');
  t.equal(ogCreate.path, '/og/v2/alerts');
  t.equal(ogCreate.headers.authorization, `GenieKey ${secrets.apiKey}`);
  t.match(ogCreate.json, { message: 'Disk almost full', alias: alert.fingerprint, priority: 'P1', source: 'itops', description: '97% used' });
  t.equal(ogClose.path, `/og/v2/alerts/${alert.fingerprint}/close?identifierType=alias`);
  t.match(ogClose.json, { source: 'itops' });

  const tg = at('/tg');
  t.equal(tg[0].path, `/tg/bot${secrets.botToken}/sendMessage`);
  t.match(tg[0].json, { chat_id: '-100123', parse_mode: 'HTML', text: '<b>[FIRING:critical] Disk almost full</b>\n97% used' });
  t.match(tg[1].json, { text: /^<b>\[RESOLVED\] Disk almost full<\/b>/ });

  const ntfy = at('/ntfy');
  t.equal(ntfy[0].path, '/ntfy');
  t.equal(ntfy[0].headers.authorization, `Bearer ${secrets.ntfyToken}`);
  t.match(ntfy[0].json, { topic: 'ops-alerts', title: '[FIRING:critical] Disk almost full', message: '97% used', priority: 5, tags: ['rotating_light'] });
  t.match(ntfy[1].json, { topic: 'ops-alerts', title: '[RESOLVED] Disk almost full', priority: 3, tags: ['white_check_mark'] });

  const po = at('/po');
  t.match(po[0].json, {
    token: secrets.appToken,
    user: secrets.userKey,
    title: '[FIRING:critical] Disk almost full',
    message: '97% used',
    priority: 1,
    timestamp: Number,
  });
  t.match(po[1].json, { title: '[RESOLVED] Disk almost full', priority: 0 });

  const gotify = at('/gotify');
  t.equal(gotify[0].path, '/gotify/message');
  t.equal(gotify[0].headers['x-gotify-key'], secrets.gotifyToken);
  t.match(gotify[0].json, { title: '[FIRING:critical] Disk almost full', message: '97% used', priority: 8 });
  t.match(gotify[1].json, { title: '[RESOLVED] Disk almost full', priority: 2 });

  for (const prefix of ['/mm', '/rc']) {
    const [fire, resolved] = at(prefix);
    t.match(fire.json, {
      text: '[FIRING:critical] Disk almost full',
      attachments: [{ color: '#D32F2F', title: 'Disk almost full', text: '97% used', fields: [{ title: 'Severity', value: 'critical', short: true }] }],
    });
    t.match(resolved.json, { text: '[RESOLVED] Disk almost full', attachments: [{ color: '#2E7D32' }] });
  }
  t.match(at('/mm')[0].json, { username: 'itops' });

  const [twFire, twResolved] = at('/tw');
  t.match(twFire.json, {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: '[FIRING:critical] Disk almost full', color: 'attention' },
            { type: 'TextBlock', text: '97% used' },
            { type: 'FactSet' },
          ],
        },
      },
    ],
  });
  t.match(twResolved.json, { attachments: [{ content: { body: [{ text: '[RESOLVED] Disk almost full', color: 'good' }] } }] });

  const detail = await call(kernel, 'GET', `/api/v1/alerts/${alert.id}`, { headers: acmeAdmin.headers });
  t.ok(
    detail.json.notifications.every((n: { status: string }) => n.status === 'sent'),
    'every notification is recorded as sent',
  );
});

t.test('e-mail goes through the configured SMTP relay with text and HTML bodies', async (t) => {
  const relay = await smtpRelay(t);
  const { kernel, acmeAdmin, alerts } = await world(t, {
    ...allowLocal,
    ITOPS_SMTP_HOST: '127.0.0.1',
    ITOPS_SMTP_PORT: String(relay.port),
    ITOPS_SMTP_FROM: 'itops <alerts@itops.test>',
  });
  const channel = await createChannel(kernel, acmeAdmin.headers, { name: 'mail', type: 'email', config: { to: 'oncall@acme.test, lead@acme.test' } });
  t.match(channel, { type: 'email', config: { to: 'oncall@acme.test, lead@acme.test' } });
  t.notOk('url' in channel);

  const alert = await alerts.raise({ ...disk, message: 'Used <97%> & rising' });
  await eventually(() => relay.mails[0]);
  await alerts.resolve({ tenantId: 'acme', fingerprint: alert.fingerprint });
  await eventually(() => relay.mails[1]);

  const [fire, resolved] = relay.mails;
  t.equal(fire.from, 'alerts@itops.test');
  t.same(fire.to, ['oncall@acme.test', 'lead@acme.test']);
  t.match(fire.raw, /^Subject: \[FIRING:critical\] Disk almost full$/m);
  t.match(fire.raw, /Content-Type: multipart\/alternative/);
  t.match(fire.raw, /Content-Type: text\/plain/);
  t.match(fire.raw, /Content-Type: text\/html/);
  const decoded = fire.raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16)));
  t.match(decoded, /Used &#60;97%&#62; &#38; rising/, 'HTML escapes the alert text');
  t.match(decoded, /Used <97%> & rising/, 'the text part is the plain message');
  t.match(resolved.raw, /^Subject: \[RESOLVED\] Disk almost full$/m);

  const test = await call(kernel, 'POST', `/api/v1/channels/${channel.id}/test`, { headers: acmeAdmin.headers, body: { message: 'hello' } });
  t.match(test.json, { status: 'sent', lastStatusCode: 250 });
  t.match(relay.mails[2].raw, /^Subject: \[TEST\] itops notification test for mail$/m);
});

t.test('an SMTP relay on a private address is refused unless allowlisted, before connecting', async (t) => {
  const relay = await smtpRelay(t);
  const { kernel, acmeAdmin } = await world(t, { ITOPS_SMTP_HOST: '127.0.0.1', ITOPS_SMTP_PORT: String(relay.port) });
  const channel = await createChannel(kernel, acmeAdmin.headers, { name: 'mail', type: 'email', config: { to: 'oncall@acme.test' } });
  const test = await call(kernel, 'POST', `/api/v1/channels/${channel.id}/test`, { headers: acmeAdmin.headers, body: {} });
  t.equal(test.status, 200);
  t.match(test.json, { status: 'failed', lastError: /blocked: the SMTP relay 127\.0\.0\.1 is not allowed: .*loopback/ });
  t.equal(relay.connections(), 0, 'no connection was opened');
  t.equal(relay.mails.length, 0);
});

t.test('channel settings are checked per type, secrets kept across updates, and creation is guarded by auth, role and workspace', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, globexAdmin } = await world(t, allowLocal);
  // Each type's schema in the contract refuses what it can say (missing, unknown or mistyped
  // settings: the detail names the setting in its path or params); the rest is checked per field
  // by the type's declaration (addresses, URL schemes, the url shorthand).
  const bad: [Record<string, unknown>, string][] = [
    [{ name: 'x', type: 'pagerduty', config: {} }, 'routingKey'],
    [{ name: 'x', type: 'pagerduty', config: { routingKey: 'k', colour: 'red' } }, 'colour'],
    [{ name: 'x', type: 'pagerduty', url: 'https://x.example.org', config: { routingKey: 'k' } }, 'url'],
    [{ name: 'x', type: 'email', config: { to: 'not-an-address' } }, '/body/config/to'],
    [{ name: 'x', type: 'telegram', config: { botToken: 't', chatId: '1', apiUrl: 'ftp://x.example.org' } }, '/body/config/apiUrl'],
    [{ name: 'x', type: 'gotify', config: { serverUrl: 'https://g.example.org', appToken: 5 } }, 'appToken'],
    [{ name: 'x', type: 'slack' }, '/body/config/url'],
  ];
  for (const [body, named] of bad) {
    const answer = await call(kernel, 'POST', '/api/v1/channels', { headers: acmeAdmin.headers, body });
    t.equal(answer.status, 400, JSON.stringify(body));
    t.equal(answer.json.error.code, 'validation_failed');
    t.match(JSON.stringify(answer.json.error.details), named, `the error names ${named}`);
  }
  const types = await call(kernel, 'GET', '/api/v1/channel-types', { headers: acmeViewer.headers });
  t.equal(types.status, 200);
  t.match(
    types.json.data.find((d: { type: string }) => d.type === 'pagerduty'),
    {
      title: String,
      fields: [
        { name: 'routingKey', required: true, secret: true },
        { name: 'eventsUrl', required: false, secret: false, default: 'https://events.pagerduty.com/v2/enqueue' },
      ],
    },
  );
  t.equal(types.json.data.length, 14);
  t.equal((await call(kernel, 'GET', '/api/v1/channel-types')).status, 401);

  const unknown = await call(kernel, 'POST', '/api/v1/channels', { headers: acmeAdmin.headers, body: { name: 'x', type: 'carrier-pigeon', config: {} } });
  t.equal(unknown.status, 400);

  const body = { name: 'pd', type: 'pagerduty', config: { routingKey: 'secret-routing-key-0001' } };
  t.equal((await call(kernel, 'POST', '/api/v1/channels', { body })).status, 401);
  t.equal((await call(kernel, 'POST', '/api/v1/channels', { headers: acmeViewer.headers, body })).status, 403);
  const created = await createChannel(kernel, acmeAdmin.headers, body);
  t.match(created.config, { routingKey: '…0001', eventsUrl: undefined });
  t.notOk(JSON.stringify(created).includes('secret-routing-key'));

  const renamed = await call(kernel, 'PUT', `/api/v1/channels/${created.id}`, {
    headers: acmeAdmin.headers,
    body: { name: 'pager', config: { eventsUrl: 'https://events.eu.pagerduty.com/v2/enqueue' } },
  });
  t.equal(renamed.status, 200);
  t.match(renamed.json, { name: 'pager', config: { routingKey: '…0001', eventsUrl: 'https://events.eu.pagerduty.com/v2/enqueue' } });
  const [stored] = await kernel.database.query<{ config: Record<string, string> }>('SELECT config FROM notification_channel WHERE id = ?', [created.id]);
  t.same(stored.config, { eventsUrl: 'https://events.eu.pagerduty.com/v2/enqueue' }, 'the row keeps no secret');
  const sealed = await kernel.database.query<{ key: string; version: number }>('SELECT key, version FROM workspace_secret WHERE key = ?', [
    `channel-secret.${created.id}`,
  ]);
  t.same(sealed, [{ key: `channel-secret.${created.id}`, version: 1 }], 'the secret is kept, sealed and unchanged, when other settings change');
  const cleared = await call(kernel, 'PUT', `/api/v1/channels/${created.id}`, { headers: acmeAdmin.headers, body: { config: { routingKey: null } } });
  t.equal(cleared.status, 400, 'a required secret cannot be cleared');
  const retyped = await call(kernel, 'PUT', `/api/v1/channels/${created.id}`, { headers: acmeAdmin.headers, body: { type: 'ntfy' } });
  t.equal(retyped.status, 400, 'a new type starts from empty settings');
  t.match(retyped.json, { error: { details: [{ path: '/body/config/topic' }] } });

  const foreign = await call(kernel, 'PUT', `/api/v1/channels/${created.id}`, { headers: globexAdmin.headers, body: { name: 'mine' } });
  t.equal(foreign.status, 404);
  const globexList = await call(kernel, 'GET', '/api/v1/channels', { headers: globexAdmin.headers });
  t.same(globexList.json.data, []);
});
