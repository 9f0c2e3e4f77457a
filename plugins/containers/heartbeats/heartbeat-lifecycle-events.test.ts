import t from 'tap';
import type { PlatformEvent } from '../../../core/plugin-api/index.ts';
import { call } from '../../../core/plugin-api/testing.ts';
import { eventually, heartbeatWorld } from './heartbeat.testkit.ts';

const lifecycle = "topic IN ('heartbeat.paused', 'heartbeat.resumed', 'heartbeat.deleted')";

t.test('pause, resume and delete write their events to the outbox, once per change', async (t) => {
  const { kernel, acmeOps, create, ping, clock } = await heartbeatWorld(t);
  const outbox = () =>
    kernel.database.query<{ topic: string; tenant_id: string; payload: any }>(
      `SELECT topic, tenant_id, payload FROM event_outbox WHERE ${lifecycle} ORDER BY id`,
    );
  const hb = await create({ name: 'db dump' });
  await ping(`/ping/${hb.uuid}`);

  clock.advance(60);
  const pausedAt = clock.iso();
  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers })).status, 200);
  t.same(await outbox(), [
    { topic: 'heartbeat.paused', tenant_id: 'acme', payload: { heartbeatId: hb.id, name: 'db dump', status: 'paused', previousStatus: 'up', at: pausedAt } },
  ]);
  clock.advance(60);
  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers })).status, 200, 'pausing twice is harmless');
  t.equal((await outbox()).length, 1, '…and announces nothing');

  const resumedAt = clock.iso();
  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/resume`, { headers: acmeOps.headers })).status, 200);
  t.same((await outbox())[1], {
    topic: 'heartbeat.resumed',
    tenant_id: 'acme',
    payload: { heartbeatId: hb.id, name: 'db dump', status: 'new', previousStatus: 'paused', at: resumedAt },
  });
  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/resume`, { headers: acmeOps.headers })).status, 409, 'only a paused heartbeat resumes');
  t.equal((await outbox()).length, 2, 'a refused resume announces nothing');

  // A change of name is carried by the next event; PUT itself announces nothing.
  await call(kernel, 'PUT', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers, body: { name: 'db dump (hourly)' } });
  await ping(`/ping/${hb.uuid}/fail`);
  clock.advance(60);
  const deletedAt = clock.iso();
  t.equal((await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).status, 204);
  t.same((await outbox())[2], {
    topic: 'heartbeat.deleted',
    tenant_id: 'acme',
    payload: { heartbeatId: hb.id, name: 'db dump (hourly)', previousStatus: 'down', at: deletedAt },
  });
  t.equal((await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).status, 404);
  t.equal((await outbox()).length, 3, 'deleting a deleted heartbeat announces nothing');

  const fresh = await create({ name: 'never pinged' });
  await call(kernel, 'POST', `/api/v1/heartbeats/${fresh.id}/pause`, { headers: acmeOps.headers });
  t.match((await outbox())[3], { topic: 'heartbeat.paused', payload: { heartbeatId: fresh.id, previousStatus: 'new' } }, 'a new heartbeat can be paused too');
});

t.test('the events reach subscribers of the workspace', async (t) => {
  const { acmeOps, kernel, create, services } = await heartbeatWorld(t);
  const hb = await create();
  const seen: PlatformEvent[] = [];
  const unsubscribe = services().events.subscribe((event) => seen.push(event), {
    tenantId: 'acme',
    topics: new Set(['heartbeat.paused', 'heartbeat.resumed', 'heartbeat.deleted']),
  });
  t.teardown(unsubscribe);
  await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers });
  await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/resume`, { headers: acmeOps.headers });
  await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers });
  await eventually(() => (seen.length >= 3 ? true : undefined));
  t.same(
    seen.map((e) => `${e.topic} ${e.tenantId} ${(e.payload as { heartbeatId: string }).heartbeatId === hb.id}`),
    ['heartbeat.paused acme true', 'heartbeat.resumed acme true', 'heartbeat.deleted acme true'],
  );
});

t.test('no event without the change: no credentials, wrong role, other tenant', async (t) => {
  const { kernel, acmeOps, acmeViewer, globexAdmin, create } = await heartbeatWorld(t);
  const hb = await create();
  const paused = await create({ name: 'paused' });
  await call(kernel, 'POST', `/api/v1/heartbeats/${paused.id}/pause`, { headers: acmeOps.headers });
  const count = async () => Number((await kernel.database.query<{ n: string }>(`SELECT count(*) AS n FROM event_outbox WHERE ${lifecycle}`))[0].n);
  t.equal(await count(), 1);

  const attempts: [string, string][] = [
    ['POST', `/api/v1/heartbeats/${hb.id}/pause`],
    ['POST', `/api/v1/heartbeats/${paused.id}/resume`],
    ['DELETE', `/api/v1/heartbeats/${hb.id}`],
  ];
  for (const [method, path] of attempts) {
    t.equal((await call(kernel, method, path)).status, 401, `${method} ${path} without credentials`);
    t.equal((await call(kernel, method, path, { headers: acmeViewer.headers })).status, 403, `${method} ${path} as a viewer`);
    t.equal((await call(kernel, method, path, { headers: globexAdmin.headers })).status, 404, `${method} ${path} from another tenant`);
  }
  t.equal(await count(), 1, 'no event was written');
  t.equal((await call(kernel, 'GET', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).json.status, 'new', 'nothing changed');
  t.equal((await call(kernel, 'GET', `/api/v1/heartbeats/${paused.id}`, { headers: acmeOps.headers })).json.status, 'paused');
});

t.test('the change and its event commit together: when the event cannot be written, nothing changes', async (t) => {
  const { kernel, acmeOps, create } = await heartbeatWorld(t);
  const hb = await create();
  const other = await create({ name: 'other' });
  await call(kernel, 'POST', `/api/v1/heartbeats/${other.id}/pause`, { headers: acmeOps.headers });
  await kernel.database.query(`CREATE FUNCTION refuse_lifecycle_event() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'outbox refused in this test'; END $$`);
  await kernel.database.query(`CREATE TRIGGER refuse_lifecycle_event BEFORE INSERT ON event_outbox FOR EACH ROW
    WHEN (NEW.topic IN ('heartbeat.paused', 'heartbeat.resumed', 'heartbeat.deleted')) EXECUTE FUNCTION refuse_lifecycle_event()`);

  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers })).status, 500);
  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${other.id}/resume`, { headers: acmeOps.headers })).status, 500);
  t.equal((await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).status, 500);
  t.equal((await call(kernel, 'GET', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).json.status, 'new', 'not paused, not deleted');
  t.equal((await call(kernel, 'GET', `/api/v1/heartbeats/${other.id}`, { headers: acmeOps.headers })).json.status, 'paused', 'not resumed');
  const flips = await kernel.database.query('SELECT 1 FROM heartbeat_flip WHERE heartbeat_id = ?', [hb.id]);
  t.equal(flips.length, 0, 'no flip recorded either');

  await kernel.database.query('DROP TRIGGER refuse_lifecycle_event ON event_outbox');
  t.equal((await call(kernel, 'POST', `/api/v1/heartbeats/${hb.id}/pause`, { headers: acmeOps.headers })).status, 200, 'works again');
});
