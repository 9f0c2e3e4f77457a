import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { evaluateSql } from './heartbeat-deadlines.ts';
import { eventually, heartbeatWorld } from './heartbeat.testkit.ts';

t.test('a period heartbeat goes late at its deadline, down after the grace, and up with the next ping', async (t) => {
  const { create, ping, becomes, get, clock, topics, kernel, acmeViewer } = await heartbeatWorld(t);
  const hb = await create({ periodSeconds: 3600, graceSeconds: 300 });
  await ping(`/ping/${hb.uuid}`);
  const pingedAt = clock.iso();
  clock.advance(3601);
  const late = await becomes(hb.id, 'late');
  t.match(late, { statusReason: /^No ping by the deadline 2025-06-01T13:00:00Z$/, nextDeadlineAt: clock.iso(-1), downAt: clock.iso(299) });
  t.same(await topics('heartbeat.deadline'), [], 'late is not yet a missed deadline');

  clock.advance(300);
  const down = await becomes(hb.id, 'down');
  t.match(down, { statusReason: /plus 300 s of grace/, downAt: null });
  const [missed] = await topics('heartbeat.deadline');
  t.match(missed, {
    topic: 'heartbeat.deadline_missed',
    payload: { heartbeatId: hb.id, status: 'down', previousStatus: 'late', lastPingAt: pingedAt, expectedAt: '2025-06-01T13:00:00.000Z', downAt: clock.iso() },
  });
  const alert = await eventually(async () => (await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeViewer.headers })).json.data[0]);
  t.match(alert, { source: 'containers', entityId: hb.id, severity: 'critical', message: /grace/ });

  clock.advance(120);
  await ping(`/ping/${hb.uuid}`);
  t.match(await get(hb.id), { status: 'up', statusReason: null, nextDeadlineAt: clock.iso(3600) });
  await eventually(async () =>
    (await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeViewer.headers })).json.data.length === 0 ? true : undefined,
  );
  t.equal((await topics('heartbeat.deadline')).length, 1, 'one missed deadline per outage');
  const flips = await kernel.database.query<{ from_status: string; to_status: string; at: Date }>(
    'SELECT from_status, to_status, at FROM heartbeat_flip WHERE heartbeat_id = ? ORDER BY at, id',
    [hb.id],
  );
  t.same(
    flips.map((f) => `${f.from_status}>${f.to_status}`),
    ['new>up', 'up>late', 'late>down', 'down>up'],
  );

  const uptime = await call(kernel, 'GET', `/api/v1/heartbeats/${hb.id}/uptime/daily?days=2`, { headers: acmeViewer.headers });
  t.equal(uptime.status, 200);
  t.match(uptime.json, { heartbeatId: hb.id, timezone: 'UTC' });
  t.match(uptime.json.data[0], { date: '2025-05-31', uptimePercent: null });
  // Created at 12:00, now 13:07:01: down from 13:05:01 to 13:07:01 (late counts as up).
  t.match(uptime.json.data[1], { date: '2025-06-01', downtimeSeconds: 120, monitoredSeconds: 4021, outages: 1 });
  t.equal(uptime.json.data[1].uptimePercent, Math.round(((4021 - 120) / 4021) * 100 * 10_000) / 10_000);
});

t.test('a cron deadline across a DST change: 03:00 Berlin is 23 hours after 03:00 the day before', async (t) => {
  const { create, ping, becomes, get, clock } = await heartbeatWorld(t, { start: '2025-03-29T02:00:00Z' });
  const hb = await create({ periodSeconds: undefined, cron: '0 3 * * *', timezone: 'Europe/Berlin', graceSeconds: 600 });
  const control = await create({ name: 'control', periodSeconds: 82_740, graceSeconds: 0 });
  await ping(`/ping/${hb.uuid}`);
  await ping(`/ping/${control.uuid}`);
  t.match(await get(hb.id), { status: 'up', nextDeadlineAt: '2025-03-30T01:00:00.000Z', downAt: '2025-03-30T01:10:00.000Z' });

  // 00:59Z: the control (23 h minus a minute) is down, so the evaluator ran; the cron heartbeat is still up.
  clock.set('2025-03-30T00:59:00Z');
  await becomes(control.id, 'down');
  t.equal((await get(hb.id)).status, 'up', 'not late before 03:00 CEST');
  clock.set('2025-03-30T01:00:00Z');
  t.ok(await becomes(hb.id, 'late'), 'late at 03:00 CEST (01:00Z), not 24 hours later');
  clock.set('2025-03-30T01:10:00Z');
  t.ok(await becomes(hb.id, 'down'));
  clock.advance(60);
  await ping(`/ping/${hb.uuid}`);
  t.match(await get(hb.id), { status: 'up', nextDeadlineAt: '2025-03-31T01:00:00.000Z' });
});

t.test('start grace: a run that does not finish in time takes the heartbeat down before its schedule would', async (t) => {
  const { create, ping, becomes, get, clock, topics, executions } = await heartbeatWorld(t);
  const hb = await create({ periodSeconds: 86_400, graceSeconds: 3600, startGraceSeconds: 120 });
  await ping(`/ping/${hb.uuid}`);
  clock.advance(600);
  await ping(`/ping/${hb.uuid}/start`);
  t.match(await get(hb.id), { status: 'up', running: true, downAt: clock.iso(120), nextDeadlineAt: clock.iso(86_400 - 600) });
  t.equal((await executions(hb.id)).data[0].outcome, 'running');
  clock.advance(121);
  const down = await becomes(hb.id, 'down');
  t.match(down, { statusReason: 'A run did not finish within 120 s of its start', running: true });
  const [missed] = await topics('heartbeat.deadline');
  t.match(missed.payload, { heartbeatId: hb.id, previousStatus: 'up', reason: /did not finish within 120 s/ });
  t.equal((await executions(hb.id)).data[0].outcome, 'timeout');
  clock.advance(30);
  await ping(`/ping/${hb.uuid}`);
  t.match(await get(hb.id), { status: 'up', running: false, lastDurationMs: 151_000 }, 'the late completion still closes the run');
});

t.test('new and paused heartbeats never time out; resuming waits for the next ping', async (t) => {
  const { create, ping, becomes, get, clock, kernel, acmeOps } = await heartbeatWorld(t);
  const fresh = await create({ name: 'never pinged' });
  const paused = await create({ name: 'paused' });
  const control = await create({ name: 'control' });
  await ping(`/ping/${paused.uuid}`);
  await ping(`/ping/${control.uuid}`);
  await ping(`/ping/${paused.uuid}/start`);
  const pause = await call(kernel, 'POST', `/api/v1/heartbeats/${paused.id}/pause`, { headers: acmeOps.headers });
  t.match(pause.json, { status: 'paused', running: false, nextDeadlineAt: null, downAt: null, statusReason: 'Paused by olivia@acme.test' });
  clock.advance(365 * 86_400);
  await becomes(control.id, 'down');
  t.equal((await get(fresh.id)).status, 'new');
  t.equal((await get(paused.id)).status, 'paused');

  const resumed = await call(kernel, 'POST', `/api/v1/heartbeats/${paused.id}/resume`, { headers: acmeOps.headers });
  t.match(resumed.json, { status: 'new', nextDeadlineAt: null });
  clock.advance(86_400);
  await ping(`/ping/${control.uuid}/fail`);
  await ping(`/ping/${control.uuid}`);
  clock.advance(3901);
  await becomes(control.id, 'down');
  t.equal((await get(paused.id)).status, 'new', 'not reported down after maintenance');
  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${paused.id}/resume`, { headers: acmeOps.headers })).status, 409, 'only a paused heartbeat resumes');
});

t.test('changing the schedule moves the deadlines at once', async (t) => {
  const { create, ping, becomes, clock, kernel, acmeOps } = await heartbeatWorld(t);
  const hb = await create({ periodSeconds: 3600, graceSeconds: 300 });
  await ping(`/ping/${hb.uuid}`);
  clock.advance(3700);
  await becomes(hb.id, 'late');
  const longer = await call(kernel, 'PUT', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers, body: { periodSeconds: 7200 } });
  t.match(longer.json, { status: 'up', nextDeadlineAt: clock.iso(7200 - 3700), downAt: clock.iso(7500 - 3700) }, 'back to up: the new deadline lies ahead');
  const cron = await call(kernel, 'PUT', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers, body: { cron: '*/10 * * * *' } });
  t.match(cron.json, { kind: 'cron', periodSeconds: null, cron: '*/10 * * * *', nextDeadlineAt: '2025-06-01T12:10:00.000Z' });
  await becomes(hb.id, 'down');
});

t.test('a sweep batch finds its heartbeats through indexes, at any number of heartbeats', async (t) => {
  const { fill, genericPlan } = await heartbeatWorld(t);
  for (const count of [1000, 20_000]) {
    await fill(count);
    const plan = await genericPlan(evaluateSql);
    t.match(plan, /Update on heartbeat h/);
    t.notMatch(plan, /Seq Scan on heartbeat h/, `no scan of every heartbeat at ${count}`);
  }
});
