import t from 'tap';
import { call, eventually, servicesProbe } from '../../../core/plugin-api/testing.ts';
import slaPlugin from '../../sla/plugin.ts';
import { startTicketing } from '../ticketing.testkit.ts';

const rule = { name: 'Prod containers', source: 'containers', minSeverity: 'warning', labels: { env: 'prod' }, priority: 'urgent', assignee: 'on-call' };

t.test('alert rules: the resource pattern with versions; bad input, auth, other workspace', async (t) => {
  const w = await startTicketing(t);
  const created = await w.write('POST', '/api/v1/alert-ticket-rules', w.acmeOps, rule);
  t.equal(created.status, 201, created.text);
  t.match(created.json, { ...rule, enabled: true, resolveOnRecovery: false, version: 1 });
  t.match((await w.read('/api/v1/alert-ticket-rules?enabled=true', w.acmeViewer)).json, { page: { total: 1 }, data: [{ name: 'Prod containers' }] });
  const patched = await w.write('PATCH', `/api/v1/alert-ticket-rules/${created.json.id}`, w.acmeOps, { version: 1, enabled: false });
  t.match(patched.json, { enabled: false, version: 2, priority: 'urgent' });
  t.equal((await w.write('PUT', `/api/v1/alert-ticket-rules/${created.json.id}`, w.acmeOps, { version: 1, name: 'stale' })).status, 409);
  t.equal((await w.write('POST', '/api/v1/alert-ticket-rules', w.acmeOps, { ...rule, minSeverity: 'loud' })).status, 400);
  t.equal((await w.read('/api/v1/alert-ticket-rules', { headers: {} })).status, 401);
  t.equal((await w.write('POST', '/api/v1/alert-ticket-rules', w.acmeViewer, rule)).status, 403);
  t.equal((await w.read(`/api/v1/alert-ticket-rules/${created.json.id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('DELETE', `/api/v1/alert-ticket-rules/${created.json.id}`, w.acmeOps)).status, 204);
});

t.test('a firing alert that matches a rule opens one ticket; refirings join its timeline; recovery is noted', async (t) => {
  const probe = servicesProbe();
  const w = await startTicketing(t, { plugins: [probe.plugin] });
  const { alerts, database } = probe.services();
  await w.write('POST', '/api/v1/alert-ticket-rules', w.acmeOps, rule);
  const raise = (labels: Record<string, string>, severity: 'warning' | 'critical' | 'info' = 'critical') =>
    database.forTenant('acme').transaction((tx) =>
      alerts.raise(tx, {
        tenantId: 'acme',
        source: 'containers',
        entityType: 'container',
        entityId: `db-${labels.env}`,
        severity,
        title: `db-${labels.env} is down`,
        message: 'exit code 137',
        labels,
      }),
    );
  const resolve = (env: string) =>
    database
      .forTenant('acme')
      .transaction((tx) =>
        alerts.resolve(tx, { tenantId: 'acme', source: 'containers', entityType: 'container', entityId: `db-${env}`, title: `db-${env} is down` }),
      );

  await raise({ env: 'dev' });
  await raise({ env: 'prod' }, 'info');
  const fired = await raise({ env: 'prod' });
  const tickets = async () => (await w.read('/api/v1/tickets', w.acmeOps)).json;
  const opened = await eventually(async () => (await tickets()).data.find((x: any) => x.source === 'alert'));
  t.ok(opened, 'a ticket was opened');
  t.match(opened, {
    title: 'db-prod is down',
    priority: 'urgent',
    assignee: 'on-call',
    tags: ['alert', 'containers'],
    links: [{ type: 'alert', target: fired.id }],
  });
  t.match(opened.description, /exit code 137[\s\S]*env: prod/);
  t.equal((await tickets()).page.total, 1, 'the dev alert and the info one matched no rule');

  await resolve('prod');
  await eventually(async () =>
    (await w.read(`/api/v1/tickets/${opened.id}/timeline?kind=alert`, w.acmeOps)).json.data.find((e: any) => e.data.state === 'resolved'),
  );
  t.equal((await w.read(`/api/v1/tickets/${opened.id}`, w.acmeOps)).json.status, 'new', 'without resolveOnRecovery the ticket stays open');

  const refired = await raise({ env: 'prod' });
  t.not(refired.id, fired.id, 'a new alert of the same fingerprint');
  const again = await eventually(async () =>
    (await w.read(`/api/v1/tickets/${opened.id}/timeline?kind=alert`, w.acmeOps)).json.data.find((e: any) => e.body.startsWith('Alert fired again')),
  );
  t.match(again, { data: { alertId: refired.id, state: 'firing' } });
  t.equal((await tickets()).page.total, 1, 'no second ticket');

  // Once the ticket is resolved, a new firing is a new ticket.
  await resolve('prod');
  const { json: current } = await w.read(`/api/v1/tickets/${opened.id}`, w.acmeOps);
  await w.write('PATCH', `/api/v1/tickets/${opened.id}`, w.acmeOps, { version: current.version, status: 'resolved' });
  await raise({ env: 'prod' });
  t.ok(await eventually(async () => ((await tickets()).page.total === 2 ? true : undefined)), 'a second ticket for the new trouble');
});

t.test('a service going DOWN in the SLA plugin opens a ticket, resolved when it recovers (resolveOnRecovery)', async (t) => {
  const w = await startTicketing(t, { plugins: [slaPlugin] });
  await w.write('POST', '/api/v1/alert-ticket-rules', w.acmeOps, {
    name: 'Services down',
    source: 'sla',
    minSeverity: 'warning',
    labels: { kind: 'service_down' },
    priority: 'high',
    resolveOnRecovery: true,
  });
  const key = await call(w.kernel, 'POST', '/api/v1/apikeys', { headers: w.acmeAdmin.headers, body: { name: 'cron', scope: 'ingestion' } });
  const agent = { 'x-api-key': key.json.api_key as string };
  const push = (status: string) =>
    call(w.kernel, 'POST', '/api/v1/health/report', { headers: agent, body: { service: 'galera-node1', nodeId: 'myorg/infra/prod/db', status } });
  t.equal((await push('OPERATIONAL')).status, 200);
  t.equal((await push('DOWN')).status, 200);
  const ticket = await eventually(async () => (await w.read('/api/v1/tickets?tag=sla', w.acmeOps)).json.data[0]);
  t.match(ticket, { source: 'alert', priority: 'high', status: 'new' });
  t.match(ticket.title, /galera-node1/);
  await push('OPERATIONAL');
  const resolved = await eventually(async () => {
    const { json } = await w.read(`/api/v1/tickets/${ticket.id}`, w.acmeOps);
    return json.status === 'resolved' ? json : undefined;
  });
  t.ok(resolved, 'the ticket resolved with the service');
  const timeline = await w.read(`/api/v1/tickets/${ticket.id}/timeline`, w.acmeOps);
  t.match(
    timeline.json.data.map((e: any) => e.kind),
    ['alert', 'alert', 'status'],
  );
});

type Probed = ReturnType<ReturnType<typeof servicesProbe>['services']>;

/** Another decider mid-way on a trouble: it holds the fingerprint's lock until released. */
async function holdTrouble(database: Probed['database'], fingerprint: string) {
  let release = () => {};
  let taken = () => {};
  const lockTaken = new Promise<void>((resolve) => {
    taken = resolve;
  });
  const done = database.platform.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended(?, 0))', [`ticketing.alert-ticket:${fingerprint}`]);
    taken();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
  });
  await lockTaken;
  return {
    /** Resolves once `n` transactions wait for an advisory lock. */
    waiters: (n: number) =>
      eventually(async () =>
        (await database.platform.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`))[0].n === n
          ? true
          : undefined,
      ),
    release: async () => {
      release();
      await done;
    },
  };
}

const raiseProdDown = (probed: Probed, fingerprint: string) =>
  probed.database.forTenant('acme').transaction((tx) =>
    probed.alerts.raise(tx, {
      tenantId: 'acme',
      source: 'containers',
      entityType: 'container',
      entityId: 'db-prod',
      severity: 'critical',
      title: 'db-prod is down',
      labels: { env: 'prod' },
      fingerprint,
    }),
  );

t.test('a rule and a person deciding on a ticket for the same trouble take turns: one ticket', async (t) => {
  const probe = servicesProbe();
  const w = await startTicketing(t, { plugins: [probe.plugin] });
  const { database } = probe.services();
  await w.write('POST', '/api/v1/alert-ticket-rules', w.acmeOps, rule);
  const fingerprint = 'db-prod-down';
  const holder = await holdTrouble(database, fingerprint);
  const fired = await raiseProdDown(probe.services(), fingerprint);
  t.ok(await holder.waiters(1), 'the rule waits for the lock');
  const tickets = async () => (await w.read('/api/v1/tickets', w.acmeOps)).json;
  t.equal((await tickets()).page.total, 0, 'and has opened nothing meanwhile');
  const asked = w.write('POST', `/api/v1/ops/alerts/${fired.id}/link-ticket`, w.acmeOps, { createTicket: true });
  t.ok(await holder.waiters(2), 'a person asking now waits too');
  await holder.release();
  const answer = await asked;
  t.equal(answer.status, 200, answer.text);
  // Once the rule's transaction has committed (its claim of the event is in it), one ticket in all.
  await eventually(async () => ((await database.platform.query('SELECT 1 FROM ticket_alert_event')).length > 0 ? true : undefined));
  const all = await tickets();
  t.equal(all.page.total, 1, 'one ticket for the trouble');
  t.equal(answer.json.ticket.id, all.data[0].id, 'the person was answered with it');
});

t.test('a person linking an alert to a ticket while a rule decides on its trouble keeps the link', async (t) => {
  const probe = servicesProbe();
  const w = await startTicketing(t, { plugins: [probe.plugin] });
  const { database } = probe.services();
  await w.write('POST', '/api/v1/alert-ticket-rules', w.acmeOps, rule);
  const mine = (await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Database trouble this morning' })).json;
  const fingerprint = 'db-prod-down';
  const holder = await holdTrouble(database, fingerprint);
  const fired = await raiseProdDown(probe.services(), fingerprint);
  t.ok(await holder.waiters(1), 'the rule waits for the lock');
  const linked = w.write('POST', `/api/v1/ops/alerts/${fired.id}/link-ticket`, w.acmeOps, { ticketId: mine.id });
  t.ok(await holder.waiters(2), 'the person linking waits too');
  await holder.release();
  const answer = await linked;
  t.equal(answer.status, 200, answer.text);
  t.match(answer.json, { created: false, ticket: { id: mine.id, links: [{ type: 'alert', target: fired.id }] } });
  await eventually(async () => ((await database.platform.query('SELECT 1 FROM ticket_alert_event')).length > 0 ? true : undefined));
  const timeline = (await w.read(`/api/v1/tickets/${mine.id}/timeline`, w.acmeOps)).json.data;
  t.ok(
    timeline.some((e: any) => e.kind === 'alert' && e.body === 'Linked alert: db-prod is down'),
    "the link is on the person's ticket's timeline",
  );
  const open = await database.platform.query('SELECT ticket_id FROM ticket_alert WHERE fingerprint = ? AND open', [fingerprint]);
  t.equal(open.length, 1, 'one ticket holds the trouble');
});
