import t from 'tap';
import { call, servicesProbe } from '../../../core/plugin-api/testing.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import { createContainersPlugin } from '../plugin.ts';
import { describedContainer } from '../runtime/runtime-container.testkit.ts';
import { applyObservations, type Observation } from './container-store.ts';

const described = (externalId: string) => describedContainer(externalId, { image: 'postgres:16.2' });

/**
 * A listing is a snapshot: when it commits after another writer applied a newer state of a
 * container it does not list (a round that outlived its lease, an event at the listing's own
 * runtime time), that container must not be marked removed from it. (CI once saw the image-update
 * scan drop a live container's row because it had been marked removed this way.)
 */
t.test('a listing older than a state already recorded removes nothing', async (t) => {
  const probe = servicesProbe('race_probe');
  const world = await startWorld(t, { plugins: [probe.plugin, createContainersPlugin({ runtime: null })] });
  const { database, events, alerts } = probe.services();
  const deps = { events, alerts, restart: { threshold: 3, windowSeconds: 600 } };
  const apply = (observations: Observation[], now: string, listing?: { at: string; startedAt: string }) =>
    database.forTenant('acme').transaction((tx) =>
      applyObservations(tx, deps, 'acme', 'docker', observations, new Date(now), {
        removeMissing: Boolean(listing),
        listedAt: listing ? new Date(listing.at) : undefined,
        listStartedAt: listing ? new Date(listing.startedAt) : undefined,
      }),
    );
  const state = async () => {
    const list = await call(world.kernel, 'GET', '/api/v1/containers?includeRemoved=true', { headers: world.acmeOps.headers });
    t.equal(list.status, 200);
    return Object.fromEntries(list.json.data.map((c: { name: string; state: string }) => [c.name, c.state]));
  };

  // Listed at 12:00 (runtime time), by a listing begun at 12:00:00 on this server.
  const at = (s: string) => new Date(s);
  await apply(
    [
      { externalId: 'db', at: at('2026-03-10T12:00:00Z'), container: described('db') },
      { externalId: 'web', at: at('2026-03-10T12:00:00Z'), container: described('web') },
    ],
    '2026-03-10T12:00:00Z',
    { at: '2026-03-10T12:00:00Z', startedAt: '2026-03-10T12:00:00Z' },
  );
  t.same(await state(), { db: 'running', web: 'running' });

  // Another writer applies db's exit, seen here at 12:01:10, at the runtime's 12:01:00.
  await apply([{ externalId: 'db', at: at('2026-03-10T12:01:00Z'), state: 'exited', exitCode: 1 }], '2026-03-10T12:01:10Z');

  // A listing without db whose runtime time equals the exit's: it cannot say which came first.
  await apply([{ externalId: 'web', at: at('2026-03-10T12:01:00Z'), container: described('web') }], '2026-03-10T12:01:20Z', {
    at: '2026-03-10T12:01:00Z',
    startedAt: '2026-03-10T12:01:15Z',
  });
  t.same(await state(), { db: 'exited', web: 'running' }, 'not removed by a listing of the same instant');

  // A listing read before db was last seen (begun at 12:01:05, committed after the exit was applied).
  await apply([{ externalId: 'web', at: at('2026-03-10T12:01:30Z'), container: described('web') }], '2026-03-10T12:01:40Z', {
    at: '2026-03-10T12:01:30Z',
    startedAt: '2026-03-10T12:01:05Z',
  });
  t.same(await state(), { db: 'exited', web: 'running' }, 'not removed by a listing begun before db was last seen');
  const [db] = (await call(world.kernel, 'GET', '/api/v1/containers?q=db', { headers: world.acmeOps.headers })).json.data;
  const transitions = await call(world.kernel, 'GET', `/api/v1/containers/${db.id}/transitions`, { headers: world.acmeOps.headers });
  t.same(
    transitions.json.data.map((x: { to: string }) => x.to),
    ['exited', 'running'],
    'no removal recorded',
  );

  // A listing begun after everything known about db, at a later runtime time: db is gone.
  await apply([{ externalId: 'web', at: at('2026-03-10T12:02:00Z'), container: described('web') }], '2026-03-10T12:02:10Z', {
    at: '2026-03-10T12:02:00Z',
    startedAt: '2026-03-10T12:02:05Z',
  });
  t.same(await state(), { db: 'removed', web: 'running' }, 'a newer listing still removes what it no longer lists');
});
