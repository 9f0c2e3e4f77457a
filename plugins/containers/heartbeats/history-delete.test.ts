import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { heartbeatWorld } from './heartbeat.testkit.ts';

// Monitor history has no per-row foreign keys (migration 0013): these are the deletes that must
// still take it along.

t.test('deleting a heartbeat deletes its pings and flips, and only those', async (t) => {
  const { kernel, create, ping, clock, acmeOps } = await heartbeatWorld(t);
  const gone = await create({ name: 'gone' });
  const kept = await create({ name: 'kept' });
  for (const hb of [gone, kept]) {
    await ping(`/ping/${hb.uuid}`);
    clock.advance(10);
    await ping(`/ping/${hb.uuid}/fail`);
  }
  const history = async (id: string) => {
    const [row] = await kernel.database.platform.query<{ pings: string; flips: string }>(
      `SELECT (SELECT count(*) FROM heartbeat_ping WHERE heartbeat_id = ?) AS pings, (SELECT count(*) FROM heartbeat_flip WHERE heartbeat_id = ?) AS flips`,
      [id, id],
    );
    return { pings: Number(row.pings), flips: Number(row.flips) };
  };
  t.same(await history(gone.id), { pings: 2, flips: 2 });

  const deleted = await call(kernel, 'DELETE', `/api/v1/heartbeats/${gone.id}`, { headers: acmeOps.headers });
  t.equal(deleted.status, 204);
  t.same(await history(gone.id), { pings: 0, flips: 0 }, 'its history went with it');
  t.same(await history(kept.id), { pings: 2, flips: 2 }, "another heartbeat's history stays");

  await kernel.database.platform.query("DELETE FROM tenant WHERE tenant_id = 'acme'");
  t.same(await history(kept.id), { pings: 0, flips: 0 }, "a workspace's deletion takes its history too");
});

t.test('deleting a container deletes its transitions, under row-level security too', async (t) => {
  const { kernel } = await heartbeatWorld(t);
  const acme = kernel.database.forTenant('acme');
  const container = async (name: string) => {
    const [row] = await acme.query<{ id: string }>(
      `INSERT INTO container (tenant_id, source, external_id, name, state) VALUES ('acme', 'docker', ?, ?, 'running') RETURNING id`,
      [name, name],
    );
    await acme.query(
      `INSERT INTO container_transition (tenant_id, container_id, at, kind, from_value, to_value) VALUES ('acme', ?, now(), 'state', NULL, 'running'), ('acme', ?, now(), 'state', 'running', 'exited')`,
      [row.id, row.id],
    );
    return row.id;
  };
  const transitions = async (id: string) =>
    Number((await kernel.database.platform.query<{ n: string }>('SELECT count(*) AS n FROM container_transition WHERE container_id = ?', [id]))[0].n);
  const gone = await container('gone');
  const kept = await container('kept');
  t.equal(await transitions(gone), 2);

  await acme.query('DELETE FROM container WHERE id = ?', [gone]);
  t.equal(await transitions(gone), 0, "the workspace's own delete takes them");
  t.equal(await transitions(kept), 2, "another container's stay");
  t.equal(
    await kernel.database
      .forTenant('globex')
      .query('DELETE FROM container WHERE id = ?', [kept])
      .then((rows) => rows.length),
    0,
  );
  t.equal(await transitions(kept), 2, "another workspace's delete reaches nothing");

  await kernel.database.platform.query("DELETE FROM tenant WHERE tenant_id = 'acme'");
  t.equal(await transitions(kept), 0, "a workspace's deletion takes them too");
});

t.test("a workspace's deletion deletes its status-page history, and only its own", async (t) => {
  const { kernel } = await heartbeatWorld(t);
  for (const tenant of ['acme', 'globex']) {
    const db = kernel.database.forTenant(tenant);
    await db.query(
      `INSERT INTO status_monitor (tenant_id, monitor_type, monitor_id, status, since, last_event_id) VALUES (?, 'container', 'c1', 'operational', now(), 1)`,
      [tenant],
    );
    await db.query(
      `INSERT INTO status_monitor_change (tenant_id, monitor_type, monitor_id, at, status) VALUES (?, 'container', 'c1', now(), 'major_outage'), (?, 'container', 'c1', now(), 'operational')`,
      [tenant, tenant],
    );
  }
  const changes = async (tenant: string) =>
    Number((await kernel.database.platform.query<{ n: string }>('SELECT count(*) AS n FROM status_monitor_change WHERE tenant_id = ?', [tenant]))[0].n);
  t.equal(await changes('acme'), 2);
  await kernel.database.platform.query("DELETE FROM tenant WHERE tenant_id = 'acme'");
  t.equal(await changes('acme'), 0, 'its history went with its monitors');
  t.equal(await changes('globex'), 2, "another workspace's stays, though its monitor has the same id");
});
