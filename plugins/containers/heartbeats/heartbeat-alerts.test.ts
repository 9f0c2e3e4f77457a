import t from 'tap';
import { alertRows, counting, rollingBack } from '../alerts.testkit.ts';
import { HeartbeatDeadlines } from './heartbeat-deadlines.ts';
import { heartbeatWorld } from './heartbeat.testkit.ts';
import { type IncomingPing, PingStore } from './ping-ingest.ts';

/** No sweep of its own: the test runs the deadline evaluation itself, so nothing else could raise an alert. */
const manual = (t: Parameters<typeof heartbeatWorld>[0]) => heartbeatWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });

const incoming = (uuid: string, kind: IncomingPing['kind'], at: Date): IncomingPing => ({
  uuid,
  kind,
  exitCode: kind === 'fail' ? 1 : 0,
  rid: null,
  at,
  method: 'GET',
  remoteAddr: null,
  userAgent: null,
  body: null,
  bodyBytes: 0,
});

t.test('a missed deadline and its alert commit together; a ping that brings the heartbeat back resolves it in its own commit', async (t) => {
  const { create, ping, get, clock, services, kernel } = await manual(t);
  const hb = await create({ periodSeconds: 3600, graceSeconds: 300 });
  await ping(`/ping/${hb.uuid}`);
  clock.advance(3901);
  const deadlines = new HeartbeatDeadlines({ ...services(), clock: clock.now });
  t.match(await deadlines.evaluate(), { down: 1 });
  t.match(
    await alertRows(kernel, hb.id),
    [{ fingerprint: `heartbeat-down:${hb.id}`, status: 'firing', message: /plus 300 s of grace/ }],
    'firing as the sweep returns',
  );

  t.equal((await ping(`/ping/${hb.uuid}`)).status, 200);
  t.equal((await get(hb.id)).status, 'up');
  t.match(await alertRows(kernel, hb.id), [{ status: 'resolved' }], 'resolved by the time the ping is answered');

  t.equal((await ping(`/ping/${hb.uuid}/fail`)).status, 200);
  t.match(
    await alertRows(kernel, hb.id),
    [{ status: 'resolved' }, { status: 'firing', title: 'Heartbeat nightly backup is down' }],
    'a fail ping raises it anew',
  );
});

t.test('a sweep that rolls back leaves neither the status nor an alert', async (t) => {
  const { create, ping, get, clock, services, kernel } = await manual(t);
  const hb = await create({ periodSeconds: 3600, graceSeconds: 300 });
  await ping(`/ping/${hb.uuid}`);
  clock.advance(3901);
  const { database, ...rest } = services();
  // One batch at a time: a second one could still hold the row when the first one's failure is reported.
  const failing = new HeartbeatDeadlines({ ...rest, database: rollingBack(database), clock: clock.now, parallel: 1 });
  await t.rejects(failing.evaluate(), /rolled back/);
  t.equal((await get(hb.id)).status, 'up');
  t.same(await alertRows(kernel, hb.id), []);

  t.match(await new HeartbeatDeadlines({ ...services(), clock: clock.now }).evaluate(), { down: 1 }, 'the next sweep does it');
  t.match(await alertRows(kernel, hb.id), [{ status: 'firing' }]);
});

t.test('a ping batch that rolls back leaves the heartbeat down and its alert firing', async (t) => {
  const { create, ping, get, clock, services, kernel } = await manual(t);
  const hb = await create({ periodSeconds: 3600, graceSeconds: 300 });
  await ping(`/ping/${hb.uuid}/fail`);
  t.match(await alertRows(kernel, hb.id), [{ status: 'firing' }]);
  const { database, events, alerts } = services();
  const store = new PingStore({ database: rollingBack(database), events, alerts });
  await t.rejects(store.commit([incoming(hb.uuid, 'success', clock.now())]), /rolled back/);
  t.equal((await get(hb.id)).status, 'down');
  t.match(await alertRows(kernel, hb.id), [{ status: 'firing' }]);
});

t.test('pings that change no status cost no query for the alert: one statement per batch', async (t) => {
  const { create, clock, services, kernel } = await manual(t);
  const hb = await create({ periodSeconds: 3600, graceSeconds: 300 });
  const { database, events, alerts } = services();
  const counted = counting(database);
  const store = new PingStore({ database: counted.database, events, alerts });
  await store.commit([incoming(hb.uuid, 'success', clock.now())]);
  clock.advance(10);
  const before = { ...counted.counts };
  await store.commit([incoming(hb.uuid, 'success', clock.now()), incoming(hb.uuid, 'success', clock.now())]);
  t.same(
    {
      queries: counted.counts.queries - before.queries,
      statements: counted.counts.statements - before.statements,
      transactions: counted.counts.transactions - before.transactions,
    },
    { queries: 0, statements: 1, transactions: 0 },
  );
  t.same(await alertRows(kernel, hb.id), []);
});
