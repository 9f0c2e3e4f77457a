import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { containerWorld, eventually } from './containers.testkit.ts';

const shop = { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' };

t.test('logs: recent lines with tail and since, and a live stream as SSE', async (t) => {
  const { kernel, engine, get, byName, acmeViewer, acmeOps, globexAdmin } = await containerWorld(t);
  engine.add({ Id: 'web1', Name: 'shop-web-1', Labels: shop });
  engine.log('web1', 1, 'GET / 200', '2026-03-10T11:59:00.000000000Z');
  engine.log('web1', 2, 'upstream slow', '2026-03-10T11:59:30.000000000Z');
  engine.log('web1', 1, 'GET /cart 200', '2026-03-10T12:00:00.000000000Z');
  const web = await byName('shop-web-1');
  const logs = await get(`/api/v1/containers/${web.id}/logs?tail=2`);
  t.equal(logs.status, 200, logs.text);
  t.same(logs.json, {
    containerId: web.id,
    lines: [
      { stream: 'stderr', at: '2026-03-10T11:59:30.000000000Z', message: 'upstream slow' },
      { stream: 'stdout', at: '2026-03-10T12:00:00.000000000Z', message: 'GET /cart 200' },
    ],
  });
  const since = await get(`/api/v1/containers/${web.id}/logs?since=2026-03-10T11:59:10Z`);
  t.same(
    since.json.lines.map((l: any) => l.message),
    ['upstream slow', 'GET /cart 200'],
  );
  t.equal((await get(`/api/v1/containers/${web.id}/logs`, acmeViewer.headers)).status, 403, 'a viewer may not read logs');
  t.equal((await call(kernel, 'GET', `/api/v1/containers/${web.id}/logs`)).status, 401);
  t.equal((await get(`/api/v1/containers/${web.id}/logs`, globexAdmin.headers)).status, 404);
  for (const query of ['tail=0', 'tail=5001', 'since=yesterday']) t.equal((await get(`/api/v1/containers/${web.id}/logs?${query}`)).status, 400, query);

  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const opened = await fetch(`${kernel.url}/api/v1/containers/${web.id}/logs/stream?tail=1`, { headers: acmeOps.headers, signal: abort.signal });
  t.equal(opened.status, 200);
  t.match(opened.headers.get('content-type'), /text\/event-stream/);
  const reader = (opened.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
  };
  await readUntil(/GET \/cart 200/);
  await eventually(() => (engine.followers('web1') > 0 ? true : undefined));
  engine.log('web1', 1, 'POST /checkout 201', '2026-03-10T12:00:05.000000000Z');
  await readUntil(/POST \/checkout 201/);
  const events = text
    .split('\n\n')
    .filter((f) => f.startsWith('event: log'))
    .map((f) => JSON.parse(f.split('\ndata: ')[1]));
  t.same(events, [
    { stream: 'stdout', at: '2026-03-10T12:00:00.000000000Z', message: 'GET /cart 200' },
    { stream: 'stdout', at: '2026-03-10T12:00:05.000000000Z', message: 'POST /checkout 201' },
  ]);
  abort.abort();
  await eventually(() => (engine.followers('web1') === 0 ? true : undefined));
  t.equal(engine.followers('web1'), 0, 'a client going away closes the runtime’s stream');
  t.equal((await get(`/api/v1/containers/${web.id}/logs/stream`, acmeViewer.headers)).status, 403);
});

t.test('endpoint checks follow the itops.endpoint labels of containers as they come and go', async (t) => {
  const { engine, get, byName, globexAdmin } = await containerWorld(t);
  engine.add({ Id: 'api1', Name: 'api', Labels: { 'itops.endpoint.url': 'http://shop.example.com/health', 'itops.endpoint.interval': '60' } });
  const api = await byName('api');
  const endpoints = await eventually(async () => {
    const page = await get(`/api/v1/containers/${api.id}/endpoints`);
    return page.json.page?.total === 1 ? page.json : undefined;
  });
  t.match(endpoints?.data[0], { name: 'api', url: 'http://shop.example.com/health', source: 'labels', containerId: api.id, intervalSeconds: 60 });
  t.equal((await get(`/api/v1/containers/${api.id}/endpoints`, globexAdmin.headers)).status, 404);
  engine.containers.delete('api1');
  engine.emit('api1', 'destroy');
  const gone = await eventually(async () => {
    const page = await get(`/api/v1/containers/${api.id}/endpoints`);
    return page.json.page?.total === 0 ? page.json : undefined;
  });
  t.ok(gone, 'a removed container takes its endpoint checks along');
});
