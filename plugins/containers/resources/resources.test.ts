import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { containerWorld, eventually } from '../containers/containers.testkit.ts';

const MiB = 2 ** 20;

/** A Docker stats document: `cpu` % of one core since the previous reading, counters as given. */
function stats(read: string, cpu: number, memoryMiB: number, rx: number, tx: number, blockRead = 0, blockWrite = 0) {
  return {
    read,
    cpu_stats: { cpu_usage: { total_usage: 1e9 + cpu * 1e7 }, system_cpu_usage: 2e9, online_cpus: 1 },
    precpu_stats: { cpu_usage: { total_usage: 1e9 }, system_cpu_usage: 1e9 },
    memory_stats: { usage: memoryMiB * MiB, limit: 1024 * MiB, stats: { inactive_file: 0 } },
    networks: { eth0: { rx_bytes: rx, tx_bytes: tx } },
    blkio_stats: {
      io_service_bytes_recursive: [
        { op: 'read', value: blockRead },
        { op: 'write', value: blockWrite },
      ],
    },
    pids_stats: { current: 4 },
  };
}

t.test('readings: current with rates, downsampled history, summary and top consumers', async (t) => {
  const { kernel, engine, get, byName, acmeViewer, globexAdmin } = await containerWorld(t, { resourceIntervalMs: 100 });
  engine.add({ Id: 'web1', Name: 'web', stats: stats('2026-03-10T11:59:00Z', 25, 256, 1000, 2000, 0, 0) });
  engine.add({ Id: 'db1', Name: 'db', stats: stats('2026-03-10T11:59:00Z', 5, 512, 0, 0) });
  const web = await byName('web');
  const db = await byName('db');
  const current = async (id: string) => (await get(`/api/v1/containers/${id}/resources/current`)).json;
  const first = await eventually(async () => ((await current(web.id)).at ? current(web.id) : undefined));
  t.match(first, {
    containerId: web.id,
    at: '2026-03-10T11:59:00.000Z',
    cpuPercent: 25,
    memoryBytes: 256 * MiB,
    memoryLimitBytes: 1024 * MiB,
    memoryPercent: 25,
    pids: 4,
  });
  // Ten seconds later the counters moved: rates since the reading before.
  engine.containers.get('web1')!.stats = stats('2026-03-10T11:59:10Z', 30, 300, 11_000, 4000, 4096, 8192);
  const second = await eventually(async () => {
    const c = await current(web.id);
    return c.at === '2026-03-10T11:59:10.000Z' ? c : undefined;
  });
  t.match(second, {
    cpuPercent: 30,
    network: { rxBytes: 11_000, txBytes: 4000, rxBytesPerSecond: 1000, txBytesPerSecond: 200 },
    blockIo: { readBytes: 4096, writeBytes: 8192, readBytesPerSecond: 409.6, writeBytesPerSecond: 819.2 },
  });

  const history = await get(`/api/v1/containers/${web.id}/resources/history?range=1h`, acmeViewer.headers);
  t.equal(history.status, 200);
  t.match(history.json, { containerId: web.id, range: '1h', bucketSeconds: 30, to: '2026-03-10T12:00:00.000Z' });
  t.same(
    history.json.points.map((p: any) => [p.at, p.cpuPercent, p.cpuPercentMax]),
    [['2026-03-10T11:59:00.000Z', 27.5, 30]],
    'both readings fall in one 30-second bucket: their mean and peak',
  );
  t.equal((await get(`/api/v1/containers/${web.id}/resources/history?range=2y`)).status, 400);

  const summary = await get('/api/v1/resources/summary');
  t.match(summary.json, { containers: 2, cpuPercent: 35, memoryBytes: 812 * MiB, alertsFiring: 0 });
  const top = await get('/api/v1/resources/top?sort=memory&limit=1');
  t.same(
    top.json.data.map((c: any) => c.name),
    ['db'],
  );
  t.same(
    (await get('/api/v1/resources/top?sort=network')).json.data.map((c: any) => c.name),
    ['web', 'db'],
  );
  for (const query of ['sort=disk', 'limit=0', 'limit=101']) t.equal((await get(`/api/v1/resources/top?${query}`)).status, 400, query);
  t.equal((await call(kernel, 'GET', '/api/v1/resources/summary')).status, 401);
  t.match((await get('/api/v1/resources/summary', globexAdmin.headers)).json, { containers: 0 }, 'another workspace sees none of it');
  t.equal((await get(`/api/v1/containers/${db.id}/resources/current`, globexAdmin.headers)).status, 404);
});

t.test('thresholds: set, crossed (resource.alert + alert), back below (resource.recovery + resolved)', async (t) => {
  const { kernel, engine, get, byName, acmeOps, acmeViewer, globexAdmin } = await containerWorld(t, { resourceIntervalMs: 100 });
  engine.add({ Id: 'web1', Name: 'web', stats: stats('2026-03-10T11:59:00Z', 20, 100, 0, 0) });
  const web = await byName('web');
  const path = `/api/v1/containers/${web.id}/resources/alerts`;
  t.same((await get(path)).json, {
    containerId: web.id,
    cpuPercent: null,
    memoryPercent: null,
    memoryBytes: null,
    enabled: true,
    firing: { cpu: false, memory: false },
    updatedAt: null,
  });
  const put = (body: unknown, headers = acmeOps.headers) => call(kernel, 'PUT', path, { headers, body });
  const set = await put({ cpuPercent: 50, memoryPercent: 90 });
  t.equal(set.status, 200, set.text);
  t.match(set.json, { cpuPercent: 50, memoryPercent: 90, memoryBytes: null, enabled: true, updatedAt: '2026-03-10T12:00:00.000Z' });
  t.match((await put({ memoryPercent: null })).json, { cpuPercent: 50, memoryPercent: null }, 'left out keeps, null clears');
  t.equal((await put({ cpuPercent: 50 }, acmeViewer.headers)).status, 403);
  t.equal((await put({ cpuPercent: -1 })).status, 400);
  t.equal((await put({ cpu: 50 })).status, 400, 'unknown fields are refused');
  t.equal((await put({ cpuPercent: 50 }, globexAdmin.headers)).status, 404);
  t.equal((await call(kernel, 'PUT', path, { body: { cpuPercent: 50 } })).status, 401);

  engine.containers.get('web1')!.stats = stats('2026-03-10T11:59:10Z', 85, 100, 0, 0);
  const firing = await eventually(async () => ((await get(path)).json.firing.cpu ? true : undefined));
  t.ok(firing, 'the CPU threshold fires');
  const alerts = (await get('/api/v1/alerts/active')).json.data.filter((a: any) => a.entityId === web.id);
  t.match(alerts, [{ source: 'containers', entityType: 'container', severity: 'warning', title: 'web: CPU above its threshold' }]);
  engine.containers.get('web1')!.stats = stats('2026-03-10T11:59:20Z', 10, 100, 0, 0);
  const calm = await eventually(async () => ((await get(path)).json.firing.cpu === false ? true : undefined));
  t.ok(calm, 'back below, it stops firing');
  t.same(
    (await get('/api/v1/alerts/active')).json.data.filter((a: any) => a.entityId === web.id),
    [],
    'the alert resolved',
  );
  const events = await kernel.database.platform.query<{ topic: string; payload: any }>(
    "SELECT topic, payload FROM event_outbox WHERE topic IN ('resource.alert', 'resource.recovery') ORDER BY id",
  );
  t.match(events, [
    { topic: 'resource.alert', payload: { containerId: web.id, metric: 'cpu', value: 85, threshold: 50 } },
    { topic: 'resource.recovery', payload: { containerId: web.id, metric: 'cpu', value: 10 } },
  ]);
});
