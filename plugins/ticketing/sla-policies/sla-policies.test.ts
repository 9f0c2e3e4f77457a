import t from 'tap';
import { eventually } from '../../../core/plugin-api/testing.ts';
import { startTicketing, testClock } from '../ticketing.testkit.ts';

const berlin = {
  timeZone: 'Europe/Berlin',
  weeklyHours: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
  holidays: ['2026-12-25'],
};
const policy = {
  name: 'Business hours',
  isDefault: true,
  targets: { high: { firstResponseMinutes: 60, resolutionMinutes: 480 }, urgent: { firstResponseMinutes: 15, resolutionMinutes: 120 } },
  calendar: berlin,
  escalation: [{ priority: 'urgent', assignee: 'duty-manager' }],
};

t.test('SLA policies: create, read, list, change with versions, delete; bad input, auth, other workspace', async (t) => {
  const w = await startTicketing(t);
  const created = await w.write('POST', '/api/v1/sla-policies', w.acmeOps, policy);
  t.equal(created.status, 201, created.text);
  t.match(created.json, { name: 'Business hours', isDefault: true, version: 1, calendar: { timeZone: 'Europe/Berlin', holidays: ['2026-12-25'] } });
  const id = created.json.id;
  t.equal((await w.read(`/api/v1/sla-policies/${id}`, w.acmeViewer)).json.name, 'Business hours');
  const list = await w.read('/api/v1/sla-policies?isDefault=true', w.acmeViewer);
  t.match(list.json, { page: { total: 1, returned: 1 }, filters: { isDefault: true } });

  const second = await w.write('POST', '/api/v1/sla-policies', w.acmeOps, {
    name: '24/7',
    isDefault: true,
    targets: { low: { firstResponseMinutes: 60, resolutionMinutes: 60 } },
  });
  t.equal(second.status, 201);
  t.equal((await w.read(`/api/v1/sla-policies/${id}`, w.acmeViewer)).json.isDefault, false, 'a new default takes the mark from the old');

  const patched = await w.write('PATCH', `/api/v1/sla-policies/${id}`, w.acmeOps, { version: 1, description: 'Mon–Fri 9–17 Berlin' });
  t.match(patched.json, { version: 2, description: 'Mon–Fri 9–17 Berlin', name: 'Business hours' });
  t.equal((await w.write('PATCH', `/api/v1/sla-policies/${id}`, w.acmeOps, { version: 1, description: 'stale' })).status, 409);
  const replaced = await w.write('PUT', `/api/v1/sla-policies/${id}`, w.acmeOps, { version: 2, name: 'Renamed' });
  t.match(replaced.json, { version: 3, name: 'Renamed', calendar: null, targets: {} });

  const badZone = await w.write('POST', '/api/v1/sla-policies', w.acmeOps, { name: 'x', calendar: { ...berlin, timeZone: 'Mars/Olympus' } });
  t.equal(badZone.status, 400);
  t.match(badZone.json.error.details, [{ path: '/calendar', message: /IANA/ }]);
  t.equal(
    (await w.write('POST', '/api/v1/sla-policies', w.acmeOps, { name: 'x', calendar: { ...berlin, weeklyHours: [{ day: 8, start: '09:00', end: '17:00' }] } }))
      .status,
    400,
  );
  t.equal(
    (await w.write('POST', '/api/v1/sla-policies', w.acmeOps, { name: 'x', targets: { high: { firstResponseMinutes: 0, resolutionMinutes: 1 } } })).status,
    400,
  );
  t.equal((await w.write('POST', '/api/v1/sla-policies', w.acmeOps, { name: '24/7' })).status, 409, 'names are unique in a workspace');
  t.equal((await w.read('/api/v1/sla-policies', { headers: {} })).status, 401);
  t.equal((await w.write('POST', '/api/v1/sla-policies', w.acmeViewer, { name: 'viewer' })).status, 403);
  t.equal((await w.read(`/api/v1/sla-policies/${id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('DELETE', `/api/v1/sla-policies/${id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('DELETE', `/api/v1/sla-policies/${id}`, w.acmeOps)).status, 204);
  t.equal((await w.read(`/api/v1/sla-policies/${id}`, w.acmeOps)).status, 404);
});

t.test('a ticket runs on the default policy: business-hours deadlines, pending pause, the sweep notifies at 75 % and at breach', async (t) => {
  // Monday 14 December 2026, 09:00 in Berlin.
  const clock = testClock('2026-12-14T08:00:00Z');
  const w = await startTicketing(t, { clock: clock.now });
  const events: { topic: string; payload: any }[] = [];
  w.kernel.events.subscribe((e) => events.push(e as any));
  t.equal((await w.write('POST', '/api/v1/sla-policies', w.acmeOps, policy)).status, 201);

  const { json: ticket } = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'ERP down', priority: 'high', requester: 'carol' });
  t.match(ticket.sla, { firstResponseDueAt: '2026-12-14T09:00:00.000Z', resolutionDueAt: '2026-12-14T16:00:00.000Z', paused: false });
  const low = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'No SLA for low', priority: 'low' });
  t.equal(low.json.sla.resolutionDueAt, null, 'a priority without a target has no deadline');

  // 09:50 Berlin: 50 of 60 first-response minutes, past 75 %.
  clock.set('2026-12-14T08:50:00Z');
  await w.kernel.jobs.send('ticketing.sla_sweep', {});
  await eventually(() => events.some((e) => e.topic === 'ticket.sla_at_risk') || undefined);
  t.match(
    events.filter((e) => e.topic.startsWith('ticket.sla')),
    [{ topic: 'ticket.sla_at_risk', payload: { ticketId: ticket.id, clock: 'first_response', dueAt: '2026-12-14T09:00:00.000Z' } }],
  );
  t.equal((await w.read(`/api/v1/tickets/${ticket.id}`, w.acmeOps)).json.sla.atRisk, true);

  // Pending at 11:00 Berlin (two business hours run), then the first response is missed at 10:00 already.
  clock.set('2026-12-14T10:00:00Z');
  const pending = await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeOps, { version: 1, status: 'pending' });
  t.equal(pending.status, 200, pending.text);
  t.match(pending.json.sla, { paused: true, resolutionDueAt: null, resolutionElapsedSeconds: 7200 });
  await w.kernel.jobs.send('ticketing.sla_sweep', {});
  await eventually(() => events.some((e) => e.topic === 'ticket.sla_breached') || undefined);
  t.match(
    events.filter((e) => e.topic === 'ticket.sla_breached').map((e) => e.payload),
    [{ ticketId: ticket.id, clock: 'first_response' }],
    'only first response breached: pending stopped the resolution clock',
  );
  const alerts = await w.read('/api/v1/alerts?status=firing', w.acmeOps);
  t.match(alerts.json.data, [{ source: 'ticketing', entityType: 'ticket', entityId: ticket.id, severity: 'warning' }], 'a breach raises an alert');

  // Back to open on Friday 18 December 16:00 Berlin: six business hours left, due Monday 21 at 14:00 Berlin.
  clock.set('2026-12-18T15:00:00Z');
  const open = await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeOps, { version: 2, status: 'open' });
  t.equal(open.json.sla.resolutionDueAt, '2026-12-21T13:00:00.000Z');
  t.equal(open.json.sla.firstResponseBreached, true);

  // A priority change to urgent (two hours) on Monday 09:30: 2.5 hours ran: due at once, then breached.
  clock.set('2026-12-21T08:30:00Z');
  const urgent = await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeOps, { version: 3, priority: 'urgent' });
  t.equal(urgent.json.sla.resolutionDueAt, '2026-12-21T08:30:00.000Z');
  await w.kernel.jobs.send('ticketing.sla_sweep', {});
  await eventually(() => events.some((e) => e.topic === 'ticket.sla_breached' && e.payload.clock === 'resolution') || undefined);
  const timeline = await w.read(`/api/v1/tickets/${ticket.id}/timeline?kind=sla`, w.acmeOps);
  t.match(
    timeline.json.data.map((e: any) => e.data),
    [
      { clock: 'first_response', state: 'at_risk' },
      { clock: 'first_response', state: 'breached' },
      { clock: 'resolution', state: 'breached' },
    ],
  );
  t.same((await w.read('/api/v1/tickets?breached=true', w.acmeOps)).json.data.length, 1);

  // Resolving resolves the breach alerts.
  const resolved = await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeOps, { version: 4, status: 'resolved' });
  t.equal(resolved.status, 200);
  t.equal((await w.read('/api/v1/alerts?status=firing', w.acmeOps)).json.page.total, 0);
});
