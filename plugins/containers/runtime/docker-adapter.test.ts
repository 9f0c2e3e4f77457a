import t from 'tap';
import { DockerAdapter } from './docker-adapter.ts';
import { frame, startDockerEngine } from './docker-engine.testkit.ts';
import { DockerLogDemuxer, statsFromDocker } from './docker-frames.ts';
import type { LogLine, RuntimeEvent } from './runtime-adapter.ts';

const ref = (externalId: string) => ({ externalId, name: externalId, namespace: null });
const web = {
  Id: 'c0ffee000001',
  Name: 'shop-web-1',
  Image: 'nginx:1.25.3',
  Labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
};

t.test('negotiates the API version: the engine’s when older, ours when newer', async (t) => {
  const old = await startDockerEngine(t, { apiVersion: '1.41' });
  old.add(web);
  const adapter = new DockerAdapter({ host: old.host });
  t.match(await adapter.connect(), { kind: 'docker', apiVersion: '1.41', serverVersion: '27.1.0' });
  await adapter.list();
  t.ok(
    old.requests.some((r) => r.startsWith('/v1.41/containers/json?all=1')),
    'calls go to the negotiated version',
  );
  const newer = await startDockerEngine(t, { apiVersion: '1.99' });
  t.match(await new DockerAdapter({ host: newer.host }).connect(), { apiVersion: '1.47' });
  const ancient = await startDockerEngine(t, { apiVersion: '1.12' });
  await t.rejects(new DockerAdapter({ host: ancient.host }).connect(), /at least 1.24/);
});

t.test('lists containers with their state, health, compose labels and restart count', async (t) => {
  const engine = await startDockerEngine(t);
  engine.add({ ...web, Health: 'healthy', RestartCount: 2 });
  engine.add({ Id: 'c0ffee000002', Name: 'batch', Image: 'alpine:3.19', Labels: {}, Status: 'exited', ExitCode: 3 });
  const { containers, cursor } = await new DockerAdapter({ host: engine.host }).list();
  t.match(cursor, /^\d+\.\d{6}$/);
  const byName = Object.fromEntries(containers.map((c) => [c.name, c]));
  t.match(byName['shop-web-1'], {
    externalId: 'c0ffee000001',
    image: 'nginx:1.25.3',
    imageDigest: /^sha256:/,
    state: 'running',
    health: 'healthy',
    composeProject: 'shop',
    composeService: 'web',
    restartCount: 2,
    startedAt: new Date('2026-03-10T11:00:00Z'),
  });
  t.match(byName.batch, { state: 'exited', exitCode: 3, health: null, composeProject: null });
});

t.test('watches the event stream, and a dropped stream continues from its cursor without losing events', async (t) => {
  const engine = await startDockerEngine(t);
  engine.add(web);
  const adapter = new DockerAdapter({ host: engine.host });
  const { cursor } = await adapter.list();
  const seen: RuntimeEvent[] = [];
  const abort = new AbortController();
  let last = cursor;
  const watching = adapter.watch(
    cursor,
    async (event, next) => {
      seen.push(event);
      last = next;
    },
    abort.signal,
  );
  await waitFor(() => engine.openEventStreams() === 1);
  engine.emit(web.Id, 'die', { exitCode: '137' });
  engine.emit(web.Id, 'health_status: unhealthy');
  await waitFor(() => seen.length === 2);
  engine.dropEventStreams();
  const ended = await watching;
  t.equal(ended, last, 'a dropped stream returns the cursor of the last event');
  // While nobody watches, the container restarts.
  engine.emit(web.Id, 'start');
  engine.emit(web.Id, 'exec_start: sh');
  const again: RuntimeEvent[] = [];
  const resumed = adapter.watch(ended, async (event) => void again.push(event), abort.signal);
  await waitFor(() => again.some((e) => e.kind === 'state' && e.state === 'running'));
  abort.abort();
  await resumed;
  t.match(seen, [
    { kind: 'state', externalId: web.Id, state: 'exited', exitCode: 137 },
    { kind: 'health', externalId: web.Id, health: 'unhealthy' },
  ]);
  const started = again.find((e) => e.kind === 'state' && e.state === 'running');
  t.match(started, { kind: 'state', state: 'running', container: { name: 'shop-web-1' } }, 'the start that happened while disconnected arrives');
  t.notOk(
    again.some((e) => e.kind === 'state' && e.state === 'exited' && e.at < (seen[0] as { at: Date }).at),
    'nothing older than the cursor comes again',
  );
});

t.test('reads logs from the multiplexed stream with tail and since, and follows new lines', async (t) => {
  const engine = await startDockerEngine(t);
  engine.add(web);
  engine.log(web.Id, 1, 'GET / 200', '2026-03-10T11:59:00.000000001Z');
  engine.log(web.Id, 2, 'warning: slow upstream', '2026-03-10T11:59:30.000000000Z');
  engine.log(web.Id, 1, 'GET /cart 200', '2026-03-10T12:00:00.000000000Z');
  const adapter = new DockerAdapter({ host: engine.host });
  t.same(await adapter.logs(ref(web.Id), { tail: 2 }), [
    { stream: 'stderr', at: '2026-03-10T11:59:30.000000000Z', message: 'warning: slow upstream' },
    { stream: 'stdout', at: '2026-03-10T12:00:00.000000000Z', message: 'GET /cart 200' },
  ]);
  t.equal((await adapter.logs(ref(web.Id), { tail: 100, since: new Date('2026-03-10T11:59:10Z') })).length, 2, 'since leaves older lines out');
  const followed: LogLine[] = [];
  const abort = new AbortController();
  const following = adapter.followLogs(ref(web.Id), { tail: 0 }, (line) => followed.push(line), abort.signal);
  await waitFor(() => engine.followers(web.Id) === 1);
  engine.log(web.Id, 1, 'POST /checkout 201', '2026-03-10T12:00:01.000000000Z');
  await waitFor(() => followed.length === 1);
  abort.abort();
  await following;
  t.same(followed, [{ stream: 'stdout', at: '2026-03-10T12:00:01.000000000Z', message: 'POST /checkout 201' }]);
  await t.rejects(adapter.logs(ref('nope'), { tail: 10 }), { name: 'RuntimeHttpError', message: /404/ });

  const tty = await startDockerEngine(t);
  tty.add({ ...web, Tty: true });
  tty.log(web.Id, 1, 'raw line', '2026-03-10T12:00:00Z');
  t.same(
    await new DockerAdapter({ host: tty.host }).logs(ref(web.Id), { tail: 10 }),
    [{ stream: 'stdout', at: '2026-03-10T12:00:00Z', message: 'raw line' }],
    'a TTY stream is raw',
  );
});

t.test('the demuxer joins frames split anywhere and lines spread over frames', async (t) => {
  const lines: LogLine[] = [];
  const demuxer = new DockerLogDemuxer((line) => lines.push(line), false, false);
  const bytes = Buffer.concat([frame(1, 'hel'), frame(2, 'oops\n'), frame(1, 'lo\nwor'), frame(1, 'ld')]);
  for (const b of bytes) demuxer.push(Buffer.from([b]));
  demuxer.end();
  t.same(lines, [
    { stream: 'stderr', at: null, message: 'oops' },
    { stream: 'stdout', at: null, message: 'hello' },
    { stream: 'stdout', at: null, message: 'world' },
  ]);
});

t.test('stats: CPU as docker stats shows it, memory without the page cache', async (t) => {
  const engine = await startDockerEngine(t);
  engine.add({
    ...web,
    stats: {
      read: '2026-03-10T12:00:00Z',
      cpu_stats: { cpu_usage: { total_usage: 3_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 10_000_000_000 },
      memory_stats: { usage: 300 * 2 ** 20, limit: 1024 * 2 ** 20, stats: { inactive_file: 100 * 2 ** 20 } },
      networks: { eth0: { rx_bytes: 1000, tx_bytes: 2000 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: 'read', value: 4096 },
          { op: 'write', value: 8192 },
        ],
      },
      pids_stats: { current: 7 },
    },
  });
  engine.add({ Id: 'stopped1', Name: 'stopped', Status: 'exited' });
  const adapter = new DockerAdapter({ host: engine.host });
  // (1e9 / 1e10) × 4 CPUs × 100 = 40 %
  t.same(await adapter.stats(ref(web.Id)), {
    at: new Date('2026-03-10T12:00:00Z'),
    cpuPercent: 40,
    memoryBytes: 200 * 2 ** 20,
    memoryLimitBytes: 1024 * 2 ** 20,
    networkRxBytes: 1001,
    networkTxBytes: 2002,
    blockReadBytes: 4096,
    blockWriteBytes: 8192,
    pids: 7,
  });
  t.equal(await adapter.stats(ref('stopped1')), null, 'a stopped container has no reading');
  t.equal(statsFromDocker({}, new Date(0)).cpuPercent, 0, 'a first reading without a previous one is 0 %, not NaN');
});

t.test('every call has a deadline: an engine that never answers fails the call in time', async (t) => {
  const http = await import('node:http');
  const server = http.createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  await t.rejects(new DockerAdapter({ host: `tcp://127.0.0.1:${port}`, callDeadlineMs: 200 }).connect(), /within 200 ms/);
});

async function waitFor(condition: () => boolean, ms = 5000) {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
