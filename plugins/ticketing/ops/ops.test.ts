import t from 'tap';
import { eventually, servicesProbe } from '../../../core/plugin-api/testing.ts';
import { startTicketing, testClock } from '../ticketing.testkit.ts';

t.test('link-ticket: an alert joins an existing ticket, or a ticket is opened for it', async (t) => {
  const probe = servicesProbe();
  const w = await startTicketing(t, { plugins: [probe.plugin] });
  const { alerts, database } = probe.services();
  const alert = await database.forTenant('acme').transaction((tx) =>
    alerts.raise(tx, {
      tenantId: 'acme',
      source: 'aiops',
      entityType: 'host',
      entityId: 'web-1',
      severity: 'critical',
      title: 'CPU saturated',
      message: '99 % for 10 min',
    }),
  );
  const created = await w.write('POST', `/api/v1/ops/alerts/${alert.id}/link-ticket`, w.acmeOps, { createTicket: true, assignee: 'olivia' });
  t.equal(created.status, 200, created.text);
  t.match(created.json, {
    alertId: alert.id,
    created: true,
    ticket: { title: 'CPU saturated', priority: 'urgent', assignee: 'olivia', links: [{ type: 'alert', target: alert.id }] },
  });

  const again = await w.write('POST', `/api/v1/ops/alerts/${alert.id}/link-ticket`, w.acmeOps, { createTicket: true });
  t.equal(again.status, 200, again.text);
  t.match(again.json, { alertId: alert.id, created: false, ticket: { id: created.json.ticket.id } }, 'asked again: the open ticket, not a second one');
  const twice = await Promise.all([1, 2].map(() => w.write('POST', `/api/v1/ops/alerts/${alert.id}/link-ticket`, w.acmeOps, { createTicket: true })));
  t.same(
    twice.map((r) => [r.status, r.json.ticket.id]),
    [
      [200, created.json.ticket.id],
      [200, created.json.ticket.id],
    ],
    'two at once: both answered with it',
  );
  const listed = await w.read('/api/v1/tickets?tag=alert', w.acmeOps);
  t.equal(listed.json.data.length, 1, 'one ticket for the alert');

  const { json: other } = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Web slow' });
  const linked = await w.write('POST', `/api/v1/ops/alerts/${alert.id}/link-ticket`, w.acmeOps, { ticketId: other.id });
  t.equal(linked.status, 200, linked.text);
  t.match(linked.json, { created: false, ticket: { id: other.id, links: [{ type: 'alert', target: alert.id }] } });

  t.equal((await w.write('POST', `/api/v1/ops/alerts/${alert.id}/link-ticket`, w.acmeOps, {})).status, 400, 'neither ticketId nor createTicket');
  t.equal((await w.write('POST', `/api/v1/ops/alerts/${alert.id}/link-ticket`, w.acmeViewer, { createTicket: true })).status, 403);
  t.equal(
    (await w.write('POST', `/api/v1/ops/alerts/${alert.id}/link-ticket`, w.globexAdmin, { createTicket: true })).status,
    404,
    "another workspace's alert",
  );
  t.equal((await w.write('POST', `/api/v1/ops/alerts/${alert.id}/link-ticket`, { headers: {} }, { createTicket: true })).status, 401);
});

t.test('link-asset and link-runbook: links, timeline, no duplicates; assets publish state changes', async (t) => {
  const w = await startTicketing(t);
  const events: { topic: string; payload: any }[] = [];
  w.kernel.events.subscribe((e) => events.push(e as any));
  const asset = await w.write('POST', '/api/v1/assets', w.acmeOps, { name: 'db-01', kind: 'server', serial: 'SN123', attributes: { os: 'Debian 13' } });
  t.equal(asset.status, 201, asset.text);
  t.match(asset.json, { name: 'db-01', state: 'active', attributes: { os: 'Debian 13' }, version: 1 });
  const runbook = await w.write('POST', '/api/v1/runbooks', w.acmeOps, { title: 'Restart the database', body: '1. Drain\n2. Restart', tags: ['db'] });
  t.equal(runbook.status, 201, runbook.text);
  const { json: ticket } = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'DB slow' });

  const withAsset = await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/link-asset`, w.acmeOps, { assetId: asset.json.id, version: 1 });
  t.equal(withAsset.status, 200, withAsset.text);
  t.match(withAsset.json.links, [{ type: 'asset', target: asset.json.id }]);
  const twice = await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/link-asset`, w.acmeOps, { assetId: asset.json.id });
  t.equal(twice.json.links.length, 1, 'linking again changes nothing');
  const withRunbook = await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/link-runbook`, w.acmeOps, { runbookId: runbook.json.id });
  t.match(withRunbook.json.links, [{ type: 'asset' }, { type: 'runbook', target: runbook.json.id }]);
  const timeline = await w.read(`/api/v1/tickets/${ticket.id}/timeline?kind=link`, w.acmeOps);
  t.same(
    timeline.json.data.map((e: any) => e.body),
    ['Linked asset: db-01', 'Linked runbook: Restart the database'],
  );
  t.equal(
    (await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/link-asset`, w.acmeOps, { assetId: asset.json.id, version: 1 })).status,
    409,
    'stale version',
  );
  t.equal((await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/link-asset`, w.acmeOps, { assetId: ticket.id })).status, 404, 'no such asset');
  t.equal((await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/link-runbook`, w.globexAdmin, { runbookId: runbook.json.id })).status, 404);
  t.equal((await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/link-runbook`, w.acmeViewer, { runbookId: runbook.json.id })).status, 403);
  t.equal((await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/link-runbook`, w.acmeOps, { runbookId: 'nope' })).status, 400);

  const maintenance = await w.write('PATCH', `/api/v1/assets/${asset.json.id}`, w.acmeOps, { version: 1, state: 'maintenance' });
  t.match(maintenance.json, { state: 'maintenance', version: 2, serial: 'SN123' });
  // Events reach subscribers after the outbox relays them, not before the PATCH answers.
  await eventually(() => events.find((e) => e.topic === 'asset.state_changed'));
  t.match(
    events.filter((e) => e.topic === 'asset.state_changed').map((e) => e.payload),
    [{ assetId: asset.json.id, from: 'active', to: 'maintenance' }],
  );
  t.match((await w.read('/api/v1/assets?state=maintenance&q=db', w.acmeViewer)).json, { page: { total: 1 }, data: [{ name: 'db-01' }] });
  t.match((await w.read('/api/v1/runbooks?q=restart', w.acmeViewer)).json, { page: { total: 1 } });
  t.equal((await w.read(`/api/v1/assets/${asset.json.id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('POST', '/api/v1/assets', w.acmeViewer, { name: 'x' })).status, 403);
  t.equal((await w.write('POST', '/api/v1/assets', w.acmeOps, { name: 'x', state: 'lost' })).status, 400);
  t.equal((await w.read('/api/v1/runbooks', { headers: {} })).status, 401);
  t.equal((await w.write('PUT', `/api/v1/runbooks/${runbook.json.id}`, w.acmeOps, { version: 9, title: 'x' })).status, 409);
  t.equal((await w.write('DELETE', `/api/v1/assets/${asset.json.id}`, w.acmeOps)).status, 204);
});

t.test('escalation rules: one level up, the policy names who takes it, the reason is recorded; never down, not past urgent', async (t) => {
  const w = await startTicketing(t);
  const policy = await w.write('POST', '/api/v1/sla-policies', w.acmeOps, {
    name: 'Standard',
    isDefault: true,
    targets: { high: { firstResponseMinutes: 60, resolutionMinutes: 480 } },
    escalation: [{ priority: 'urgent', assignee: 'duty-manager' }],
  });
  t.equal(policy.status, 201, policy.text);
  const { json: ticket } = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Payroll export fails', priority: 'medium', assignee: 'olivia' });
  const high = await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/escalate`, w.acmeOps, { reason: 'customer called twice' });
  t.equal(high.status, 200, high.text);
  t.match(high.json, { priority: 'high', assignee: 'olivia', escalationLevel: 1, sla: { resolutionDueAt: /T/ } });
  const urgent = await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/escalate`, w.acmeOps, { reason: 'payroll deadline today' });
  t.match(urgent.json, { priority: 'urgent', assignee: 'duty-manager', escalationLevel: 2 });
  t.equal(urgent.json.sla.resolutionDueAt, null, 'no urgent target in the policy: no deadline');
  const stuck = await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/escalate`, w.acmeOps, { reason: 'again' });
  t.equal(stuck.status, 422, 'urgent with nobody new: nothing to escalate to');
  const handover = await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/escalate`, w.acmeOps, { reason: 'CTO takes over', assignee: 'cto' });
  t.match(handover.json, { priority: 'urgent', assignee: 'cto', escalationLevel: 3 });
  const lower = await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/escalate`, w.acmeOps, { reason: 'x', priority: 'low' });
  t.equal(lower.status, 422);
  const entries = await w.read(`/api/v1/tickets/${ticket.id}/timeline?kind=escalation`, w.acmeOps);
  t.match(
    entries.json.data.map((e: any) => e.data),
    [
      { reason: 'customer called twice', level: 1, priority: { from: 'medium', to: 'high' }, assignee: { from: 'olivia', to: 'olivia' }, rule: null },
      { reason: 'payroll deadline today', level: 2, priority: { from: 'high', to: 'urgent' }, assignee: { to: 'duty-manager' }, rule: { priority: 'urgent' } },
      { reason: 'CTO takes over', level: 3, assignee: { from: 'duty-manager', to: 'cto' } },
    ],
  );
  t.equal((await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/escalate`, w.acmeOps, {})).status, 400, 'a reason is required');
  t.equal((await w.write('POST', `/api/v1/ops/tickets/${ticket.id}/escalate`, w.globexAdmin, { reason: 'x' })).status, 404);
});

t.test('resolve and the ops summary lanes', async (t) => {
  const clock = testClock('2026-12-14T08:00:00Z');
  const probe = servicesProbe();
  const w = await startTicketing(t, { clock: clock.now, plugins: [probe.plugin] });
  const { alerts, database } = probe.services();
  for (const [tenantId, entityId] of [
    ['acme', 'web-1'],
    ['acme', 'web-2'],
    ['globex', 'db-1'],
  ])
    await database
      .forTenant(tenantId)
      .transaction((tx) =>
        alerts.raise(tx, { tenantId, source: 'aiops', entityType: 'host', entityId, severity: 'warning', title: 'Disk filling', message: '91 %' }),
      );
  const open = (body: Record<string, unknown>) => w.write('POST', '/api/v1/tickets', w.acmeOps, body);
  const { json: a } = await open({ title: 'Mail down', priority: 'urgent', clientId: 'c1', assignee: 'olivia' });
  await open({ title: 'Printer', priority: 'low' });
  await open({ title: 'Upgrade firewall', type: 'change', status: 'pending' });
  await w.write('POST', `/api/v1/tickets/${a.id}/comments`, w.acmeOps, { body: 'Investigated', timeSpentMinutes: 30, billable: true });
  const resolved = await w.write('POST', `/api/v1/ops/tickets/${a.id}/resolve`, w.acmeOps, {
    resolution: 'Restarted the MTA',
    timeSpentMinutes: 15,
    billable: true,
  });
  t.equal(resolved.status, 200, resolved.text);
  t.match(resolved.json, { status: 'resolved', resolvedAt: '2026-12-14T08:00:00.000Z' });
  t.equal((await w.write('POST', `/api/v1/ops/tickets/${a.id}/resolve`, w.acmeOps, { resolution: 'again' })).status, 409, 'already resolved');
  const publicNote = await w.read(`/api/v1/tickets/${a.id}/timeline?visibility=public`, w.acmeOps);
  t.same(
    publicNote.json.data.map((e: any) => e.body),
    ['Restarted the MTA'],
  );

  await w.write('POST', '/api/v1/tickets', w.globexAdmin, { title: 'Globex incident' });
  const summary = await w.read('/api/v1/ops/summary', w.acmeViewer);
  t.equal(summary.status, 200, summary.text);
  t.same(summary.json.incident.byPriority, { low: 1, medium: 0, high: 0, urgent: 0 });
  t.match(summary.json, {
    incident: { open: 1, unassigned: 1, atRisk: 0, breached: 0, fromAlerts: 0, firingAlerts: 2, oldestOpenAt: '2026-12-14T08:00:00.000Z' },
    change: { open: 1, pending: 1, resolvedLast7Days: 0 },
    billing: { billableMinutesThisMonth: 45, resolvedThisMonth: 1, byClient: [{ clientId: 'c1', billableMinutes: 45, tickets: 1 }] },
  });
  const dashboard = await w.read('/api/v1/dashboard/summary', w.acmeViewer);
  t.equal(dashboard.status, 200, dashboard.text);
  t.same(
    dashboard.json.counters.ticketing,
    { openTickets: 2, unassignedTickets: 2, ticketsAtRisk: 0, ticketsBreached: 0 },
    'the dashboard counts open tickets too',
  );
  t.equal((await w.read('/api/v1/ops/summary', { headers: {} })).status, 401);
  t.equal((await w.read('/api/v1/ops/summary', w.globexAdmin)).json.incident.open, 1, "globex's lanes hold only its own ticket");
});
