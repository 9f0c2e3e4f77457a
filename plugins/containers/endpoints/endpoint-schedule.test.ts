import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { parsePrivateNetworks } from './endpoint-address-policy.ts';
import { EndpointSchedule } from './endpoint-schedule.ts';
import { endpointWorld, eventually, movableClock } from './endpoint.testkit.ts';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A world whose own check loop is off, and a schedule the test drives by hand on a clock it moves. */
async function manual(t: Parameters<typeof endpointWorld>[0]) {
  const world = await endpointWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });
  const clock = movableClock('2026-03-10T12:00:00Z');
  const schedule = new EndpointSchedule(
    {
      ...world.services(),
      clock: clock.now,
      logger: silent,
      policy: { privateNetworks: parsePrivateNetworks(['127.0.0.0/8']), hostAllowlist: [], allowPrivate: false },
    },
    { concurrency: 4 },
  );
  const insert = async (rows: { phase: number; due: string; interval?: number }[]) => {
    for (const [i, row] of rows.entries()) {
      await world.kernel.database.query(
        `INSERT INTO endpoint (id, tenant_id, name, url, scheme, host, port, timeout_seconds, interval_seconds, phase_seconds, failure_threshold, next_check_at)
         VALUES (gen_random_uuid(), 'acme', ?, 'http://a.test/', 'http', 'a.test', 80, 5, ?, ?, 3, ?)`,
        [`e${String(i).padStart(3, '0')}`, row.interval ?? 60, row.phase, row.due],
      );
    }
  };
  const due = async () =>
    (await world.kernel.database.query<{ name: string; next_check_at: Date }>('SELECT name, next_check_at FROM endpoint ORDER BY name')).map(
      (r) => `${r.name} ${new Date(r.next_check_at).toISOString().slice(11, 19)}`,
    );
  return { ...world, clock, schedule, insert, due };
}

t.test('each monitor keeps its own phase: checks spread over the interval, across restarts', async (t) => {
  const { schedule, insert, due, clock } = await manual(t);
  await insert([0, 15, 30, 45].map((phase) => ({ phase, due: '2026-03-10T12:00:00Z' })));
  clock.advance(5);
  const claimed = await schedule.claimEndpoints(10);
  t.equal(claimed.length, 4);
  t.same(await due(), ['e000 12:01:00', 'e001 12:00:15', 'e002 12:00:30', 'e003 12:00:45'], 'each to the next slot of its phase');
  clock.advance(15);
  t.same(
    (await schedule.claimEndpoints(10)).map((r) => r.name),
    ['e001'],
    'at 12:00:20 only the one whose slot passed is due',
  );
  t.same(await due(), ['e000 12:01:00', 'e001 12:01:15', 'e002 12:00:30', 'e003 12:00:45']);
});

t.test('after an outage, overdue monitors are checked once and fall back into their phases (no catch-up burst)', async (t) => {
  const { schedule, insert, due } = await manual(t);
  await insert([
    { phase: 10, due: '2026-03-10T09:00:10Z' },
    { phase: 40, due: '2026-03-10T09:00:40Z' },
    { phase: 100, due: '2026-03-10T09:01:40Z', interval: 300 },
  ]);
  t.equal((await schedule.claimEndpoints(10)).length, 3);
  t.same(await due(), ['e000 12:00:10', 'e001 12:00:40', 'e002 12:01:40']);
  t.same(await schedule.claimEndpoints(10), [], 'nothing more is due now');
});

t.test('claims are bounded and never overlap between nodes', async (t) => {
  const { schedule, insert, kernel } = await manual(t);
  await insert(Array.from({ length: 120 }, (_, i) => ({ phase: i % 60, due: '2026-03-10T11:59:00Z' })));
  t.equal((await schedule.claimEndpoints(7)).length, 7, 'no more than asked for');
  const [a, b, c] = await Promise.all([schedule.claimEndpoints(50), schedule.claimEndpoints(50), schedule.claimEndpoints(50)]);
  const ids = [...a, ...b, ...c].map((r) => r.id);
  t.equal(ids.length, 113, 'the rest, once');
  t.equal(new Set(ids).size, 113, 'no monitor claimed twice');
  const [{ count }] = await kernel.database.query<{ count: string }>("SELECT count(*) FROM endpoint WHERE next_check_at <= '2026-03-10T12:00:00Z'");
  t.equal(Number(count), 0);
});

t.test('a node runs at most `concurrency` checks at a time', async (t) => {
  let open = 0;
  let most = 0;
  const server = http.createServer((_req, res) => {
    open += 1;
    most = Math.max(most, open);
    setTimeout(() => {
      open -= 1;
      res.writeHead(200).end('ok');
    }, 100);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const { create, checks } = await endpointWorld(t, { concurrency: 3 });
  const endpoints: { id: string }[] = [];
  for (let i = 0; i < 12; i++) endpoints.push(await create({ name: `e${i}`, url }));
  const all = await eventually(async () => {
    const counts = await Promise.all(endpoints.map(async (e) => (await checks(e.id)).page.total));
    return counts.every((n) => n === 1) ? counts : undefined;
  });
  t.ok(all, 'every endpoint was checked once');
  t.ok(most >= 1 && most <= 3, `at most 3 requests at a time (saw ${most})`);
});
