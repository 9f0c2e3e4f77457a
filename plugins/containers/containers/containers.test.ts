import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { containerWorld, eventually } from './containers.testkit.ts';

const shop = { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' };

t.test('discovers the runtime’s containers: list with groups, detail with uptime, runtime status', async (t) => {
  const { kernel, engine, clock, get, listed, acmeViewer, globexAdmin } = await containerWorld(t);
  engine.add({ Id: 'web1', Name: 'shop-web-1', Labels: shop, Health: 'healthy', RestartCount: 1 });
  engine.add({ Id: 'db1', Name: 'shop-db-1', Image: 'postgres:16.2', Labels: { ...shop, 'com.docker.compose.service': 'db' } });
  engine.add({ Id: 'job1', Name: 'nightly', Image: 'alpine:3.19', Status: 'exited', ExitCode: 2 });
  engine.add({ Id: 'pay1', Name: 'payments', Labels: { 'itops.group': 'payments' } });
  // Every event applied: three running, the job exited.
  const list = await listed((cs) => cs.length === 4 && cs.filter((c) => c.state === 'running').length === 3 && cs.some((c) => c.state === 'exited'));
  t.match(list.page, { total: 4, returned: 4 });
  t.same(
    list.data.map((c: any) => c.name),
    ['nightly', 'payments', 'shop-db-1', 'shop-web-1'],
    'sorted by name',
  );
  const web = list.data.find((c: any) => c.name === 'shop-web-1');
  t.match(web, {
    id: /^[0-9a-f-]{36}$/,
    source: 'docker',
    externalId: 'web1',
    image: 'nginx:1.25.3',
    state: 'running',
    health: 'healthy',
    group: 'compose:shop',
    composeProject: 'shop',
    composeService: 'web',
    restartCount: 1,
    restartLoop: false,
    startedAt: '2026-03-10T11:00:00.000Z',
  });
  t.same(list.groups, [
    { key: 'compose:shop', kind: 'compose', name: 'shop', total: 2, running: 2, stopped: 0, unhealthy: 0 },
    { key: 'label:payments', kind: 'label', name: 'payments', total: 1, running: 1, stopped: 0, unhealthy: 0 },
    { key: 'ungrouped', kind: 'ungrouped', name: 'ungrouped', total: 1, running: 0, stopped: 1, unhealthy: 0 },
  ]);
  const filtered = await get('/api/v1/containers?group=compose:shop&sortBy=name&sortOrder=desc');
  t.same(
    filtered.json.data.map((c: any) => c.name),
    ['shop-web-1', 'shop-db-1'],
  );
  t.same(
    (await get('/api/v1/containers?state=exited')).json.data.map((c: any) => c.name),
    ['nightly'],
  );
  t.same(
    (await get('/api/v1/containers?q=postgres')).json.data.map((c: any) => c.name),
    ['shop-db-1'],
    'q matches the image too',
  );

  clock.advance(3600);
  const detail = await get(`/api/v1/containers/${web.id}`, acmeViewer.headers);
  t.equal(detail.status, 200, 'a viewer reads it');
  t.match(detail.json, {
    id: web.id,
    name: 'shop-web-1',
    uptime: { last24h: { percent: 100, runningSeconds: 3600, observedSeconds: 3600 }, last7d: { percent: 100 }, last30d: { percent: 100 } },
  });
  const nightly = list.data.find((c: any) => c.name === 'nightly');
  t.match((await get(`/api/v1/containers/${nightly.id}`)).json.uptime.last24h, { percent: 0, runningSeconds: 0 }, 'a stopped container was not up');

  const status = await get('/api/v1/runtime/status');
  t.match(status.json, {
    runtime: 'docker',
    connected: true,
    endpoint: engine.host,
    apiVersion: '1.45',
    serverVersion: '27.1.0',
    containers: { total: 4, running: 3 },
    agents: [],
  });

  // The usual refusals.
  t.equal((await call(kernel, 'GET', '/api/v1/containers')).status, 401, 'no credentials: 401');
  t.equal((await get(`/api/v1/containers/${web.id}`, globexAdmin.headers)).status, 404, 'another workspace’s container: 404');
  t.same((await get('/api/v1/containers', globexAdmin.headers)).json.data, [], 'another workspace sees none');
  t.match((await get('/api/v1/runtime/status', globexAdmin.headers)).json, { runtime: 'none', connected: false });
  const bad = await get('/api/v1/containers?sortBy=password');
  t.equal(bad.status, 400);
  t.match(bad.json, { error: { code: 'validation_failed' } });
  t.equal((await get('/api/v1/containers/not-a-uuid')).status, 400);
  t.equal((await get('/api/v1/containers/00000000-0000-4000-8000-000000000000')).status, 404);
});

t.test('transitions follow the event stream; a dropped stream loses none; a restart loop raises one alert', async (t) => {
  const { engine, clock, get, byName, transitions, acmeViewer, globexAdmin } = await containerWorld(t, {
    env: { ITOPS_CONTAINERS_RESTART_THRESHOLD: '3', ITOPS_CONTAINERS_RESTART_WINDOW_SECONDS: '600' },
  });
  engine.add({ Id: 'web1', Name: 'shop-web-1', Labels: shop });
  const web = await byName('shop-web-1');
  await eventually(() => (engine.openEventStreams() > 0 ? true : undefined));
  engine.emit('web1', 'die', { exitCode: '137' });
  engine.containers.get('web1')!.Status = 'exited';
  const first = await transitions(web.id, 3);
  t.match(
    first.data,
    [
      { kind: 'state', from: 'running', to: 'exited', exitCode: 137, at: /^2026-03-10T12:00:00\.\d{3}Z$/ },
      { kind: 'state', from: 'created', to: 'running', at: /^2026-03-10T12:00:00\.\d{3}Z$/ },
      { kind: 'state', from: null, to: 'created', at: /^2026-03-10T12:00:00\.\d{3}Z$/ },
    ],
    'newest first, at the engine’s time',
  );
  t.match((await get(`/api/v1/containers/${web.id}`)).json, { state: 'exited', exitCode: 137 });

  // The stream drops; the container restarts meanwhile.
  engine.dropEventStreams();
  engine.containers.get('web1')!.Status = 'running';
  engine.emit('web1', 'start');
  engine.emit('web1', 'health_status: unhealthy');
  const after = await transitions(web.id, 5);
  t.match(after.data.slice(0, 2), [
    { kind: 'health', from: null, to: 'unhealthy' },
    { kind: 'state', from: 'exited', to: 'running' },
  ]);
  // Reconnects replay the last event again: still nothing recorded twice.
  engine.dropEventStreams();
  await eventually(() => (engine.openEventStreams() > 0 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal((await get(`/api/v1/containers/${web.id}/transitions`)).json.page.total, 5, 'no transition twice');
  t.same(
    (await get(`/api/v1/containers/${web.id}/transitions?kind=health`)).json.data.map((x: any) => x.to),
    ['unhealthy'],
  );

  // Two more crash-and-start cycles: three starts within ten minutes is a restart loop.
  for (let i = 0; i < 2; i++) {
    engine.emit('web1', 'die', { exitCode: '1' });
    engine.emit('web1', 'start');
  }
  const looping = await eventually(async () => {
    const c = (await get(`/api/v1/containers/${web.id}`)).json;
    return c.restartLoop ? c : undefined;
  });
  t.ok(looping, 'the container is flagged');
  const alerts = await get('/api/v1/alerts/active');
  const restartAlerts = alerts.json.data.filter((a: any) => a.entityType === 'container' && a.entityId === web.id);
  t.equal(restartAlerts.length, 1, 'one alert');
  t.match(restartAlerts[0], { source: 'containers', severity: 'warning', title: 'Container shop-web-1 is in a restart loop' });
  engine.emit('web1', 'die', { exitCode: '1' });
  engine.emit('web1', 'start');
  await transitions(web.id, 11);
  t.equal((await get('/api/v1/alerts/active')).json.data.filter((a: any) => a.entityType === 'container').length, 1, 'still one alert while it loops');
  // Ten quiet minutes later the loop is over and the alert resolves.
  clock.advance(601);
  const resolved = await eventually(async () => {
    const c = (await get(`/api/v1/containers/${web.id}`)).json;
    return c.restartLoop === false ? c : undefined;
  });
  t.ok(resolved, 'the loop ends after a quiet window');
  t.equal((await get('/api/v1/alerts/active')).json.data.filter((a: any) => a.entityType === 'container').length, 0, 'the alert resolved');

  t.equal((await get(`/api/v1/containers/${web.id}/transitions`, acmeViewer.headers)).status, 200);
  t.equal((await get(`/api/v1/containers/${web.id}/transitions`, globexAdmin.headers)).status, 404);
  t.equal((await get(`/api/v1/containers/${web.id}/transitions?kind=cpu`)).status, 400);
  t.equal((await get(`/api/v1/containers/${web.id}/transitions?limit=5000`)).status, 400);

  // Destroyed: it is removed (left out of the list unless asked for).
  engine.containers.delete('web1');
  engine.emit('web1', 'destroy');
  const removed = await eventually(async () => {
    const c = (await get(`/api/v1/containers/${web.id}`)).json;
    return c.state === 'removed' ? c : undefined;
  });
  t.match(removed, { removedAt: String });
  t.same((await get('/api/v1/containers')).json.data, []);
});
