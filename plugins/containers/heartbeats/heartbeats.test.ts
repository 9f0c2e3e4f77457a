import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { heartbeatWorld } from './heartbeat.testkit.ts';

t.test('create, read, list, update and delete heartbeats', async (t) => {
  const { kernel, acmeOps, acmeViewer, create, ping } = await heartbeatWorld(t);
  const created = await call(kernel, 'POST', '/api/v1/heartbeats', {
    headers: acmeOps.headers,
    body: {
      name: 'db dump',
      description: 'pg_dump of the main database',
      cron: '30 2 * * *',
      timezone: 'Europe/Berlin',
      graceSeconds: 900,
      startGraceSeconds: 3600,
    },
  });
  t.equal(created.status, 201);
  const hb = created.json;
  t.match(hb, {
    id: /^[0-9a-f-]{36}$/,
    uuid: /^[0-9a-f-]{36}$/,
    name: 'db dump',
    description: 'pg_dump of the main database',
    kind: 'cron',
    cron: '30 2 * * *',
    timezone: 'Europe/Berlin',
    periodSeconds: null,
    graceSeconds: 900,
    startGraceSeconds: 3600,
    status: 'new',
    running: false,
    openRuns: [],
    pingCount: 0,
    lastPingAt: null,
    nextDeadlineAt: null,
    createdAt: '2025-06-01T12:00:00.000Z',
  });
  t.not(hb.uuid, hb.id, 'the ping uuid is not the id');
  t.equal(hb.pingUrl, `${kernel.url}/ping/${hb.uuid}`);
  const defaults = await call(kernel, 'POST', '/api/v1/heartbeats', { headers: acmeOps.headers, body: { name: 'defaults' } });
  t.match(defaults.json, { kind: 'period', periodSeconds: 86_400, graceSeconds: 3600, timezone: 'UTC', startGraceSeconds: null });
  const other = await create({ name: 'alpha job' });
  await ping(`/ping/${other.uuid}/fail`);

  t.same((await call(kernel, 'GET', `/api/v1/heartbeats/${hb.id}`, { headers: acmeViewer.headers })).json, hb, 'a viewer reads it');
  const list = await call(kernel, 'GET', '/api/v1/heartbeats', { headers: acmeViewer.headers });
  t.equal(list.status, 200);
  t.match(list.json, { page: { limit: 50, offset: 0, returned: 3, total: 3 }, sort: { by: 'name', order: 'asc' }, filters: {} });
  t.same(
    list.json.data.map((h: any) => h.name),
    ['alpha job', 'db dump', 'defaults'],
  );
  const down = await call(kernel, 'GET', '/api/v1/heartbeats?status=down', { headers: acmeViewer.headers });
  t.match(down.json, { data: [{ id: other.id, status: 'down' }], page: { total: 1 }, filters: { status: 'down' } });
  const searched = await call(kernel, 'GET', '/api/v1/heartbeats?q=pg_dump&sortBy=createdAt&sortOrder=desc', { headers: acmeViewer.headers });
  t.match(searched.json, { data: [{ id: hb.id }], page: { total: 1 }, filters: { q: 'pg_dump' }, sort: { by: 'createdAt', order: 'desc' } });
  const paged = await call(kernel, 'GET', '/api/v1/heartbeats?limit=1&offset=1&sortBy=status', { headers: acmeViewer.headers });
  t.match(paged.json, { page: { limit: 1, offset: 1, returned: 1, total: 3 } });
  t.equal((await call(kernel, 'GET', '/api/v1/heartbeats?offset=10', { headers: acmeViewer.headers })).json.page.total, 3);

  const updated = await call(kernel, 'PUT', `/api/v1/heartbeats/${hb.id}`, {
    headers: acmeOps.headers,
    body: { name: 'db dump (hourly)', periodSeconds: 3600, description: null, startGraceSeconds: null },
  });
  t.equal(updated.status, 200);
  t.match(updated.json, {
    name: 'db dump (hourly)',
    kind: 'period',
    periodSeconds: 3600,
    cron: null,
    description: null,
    startGraceSeconds: null,
    graceSeconds: 900,
  });
  t.equal(updated.json.uuid, hb.uuid, 'the ping uuid stays');

  t.equal((await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).status, 204);
  t.equal((await call(kernel, 'GET', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).status, 404);
  t.equal((await ping(`/ping/${hb.uuid}`)).status, 404, 'its uuid no longer answers');
  t.equal((await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers })).status, 404);
});

t.test('deleting a down heartbeat resolves its alert', async (t) => {
  const { kernel, acmeOps, acmeViewer, create, ping } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}/fail`);
  const firing = await (async () => {
    for (let i = 0; i < 200; i++) {
      const active = (await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeViewer.headers })).json.data;
      if (active.length > 0) return active[0];
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  t.match(firing, { entityId: hb.id });
  await call(kernel, 'DELETE', `/api/v1/heartbeats/${hb.id}`, { headers: acmeOps.headers });
  t.match((await call(kernel, 'GET', `/api/v1/alerts/${firing.id}`, { headers: acmeViewer.headers })).json, { status: 'resolved' });
});

t.test('heartbeat endpoints: bad input, no auth, wrong role, other tenant', async (t) => {
  const { kernel, acmeOps, acmeViewer, acmeAdmin, globexAdmin, create, ping } = await heartbeatWorld(t);
  const hb = await create();
  const paused = await create({ name: 'paused' });
  await call(kernel, 'POST', `/api/v1/heartbeats/${paused.id}/pause`, { headers: acmeOps.headers });
  await ping(`/ping/${hb.uuid}`);
  const id = hb.id;

  const bad: [string, string, unknown][] = [
    ['GET', '/api/v1/heartbeats?limit=0', undefined],
    ['GET', '/api/v1/heartbeats?sortBy=uuid', undefined],
    ['GET', '/api/v1/heartbeats?status=sleeping', undefined],
    ['GET', '/api/v1/heartbeats/not-a-uuid', undefined],
    ['POST', '/api/v1/heartbeats', {}],
    ['POST', '/api/v1/heartbeats', { name: '   ' }],
    ['POST', '/api/v1/heartbeats', { name: 'x', periodSeconds: 59 }],
    ['POST', '/api/v1/heartbeats', { name: 'x', periodSeconds: 3600, cron: '* * * * *' }],
    ['POST', '/api/v1/heartbeats', { name: 'x', cron: 'every day at 3' }],
    ['POST', '/api/v1/heartbeats', { name: 'x', cron: '0 3 * * * *' }],
    ['POST', '/api/v1/heartbeats', { name: 'x', cron: '0 3 * * *', timezone: 'Mars/Olympus' }],
    ['POST', '/api/v1/heartbeats', { name: 'x', timezone: 'Nowhere' }],
    ['POST', '/api/v1/heartbeats', { name: 'x', graceSeconds: -1 }],
    ['POST', '/api/v1/heartbeats', { name: 'x', startGraceSeconds: 0 }],
    ['POST', '/api/v1/heartbeats', { name: 'x', color: 'red' }],
    ['PUT', `/api/v1/heartbeats/${id}`, {}],
    ['PUT', `/api/v1/heartbeats/${id}`, { cron: '61 * * * *' }],
    ['PUT', `/api/v1/heartbeats/${id}`, { periodSeconds: 'hourly' }],
    ['DELETE', '/api/v1/heartbeats/nope', undefined],
    ['POST', '/api/v1/heartbeats/nope/pause', undefined],
    ['POST', '/api/v1/heartbeats/nope/resume', undefined],
    ['GET', `/api/v1/heartbeats/${id}/executions?limit=5000`, undefined],
    ['GET', `/api/v1/heartbeats/${id}/pings?kind=sos`, undefined],
    ['GET', `/api/v1/heartbeats/${id}/pings?offset=-1`, undefined],
    ['GET', `/api/v1/heartbeats/${id}/uptime/daily?days=0`, undefined],
    ['GET', `/api/v1/heartbeats/${id}/uptime/daily?timezone=Atlantis`, undefined],
  ];
  for (const [method, path, body] of bad) {
    const response = await call(kernel, method, path, { headers: acmeOps.headers, body });
    t.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${response.text}`);
    t.match(response.json, { error: { code: 'validation_failed', correlationId: String } });
  }

  const everyOperation: [string, string][] = [
    ['GET', '/api/v1/heartbeats'],
    ['POST', '/api/v1/heartbeats'],
    ['GET', `/api/v1/heartbeats/${id}`],
    ['PUT', `/api/v1/heartbeats/${id}`],
    ['DELETE', `/api/v1/heartbeats/${id}`],
    ['POST', `/api/v1/heartbeats/${id}/pause`],
    ['POST', `/api/v1/heartbeats/${paused.id}/resume`],
    ['GET', `/api/v1/heartbeats/${id}/executions`],
    ['GET', `/api/v1/heartbeats/${id}/pings`],
    ['GET', `/api/v1/heartbeats/${id}/uptime/daily`],
  ];
  for (const [method, path] of everyOperation) t.equal((await call(kernel, method, path)).status, 401, `${method} ${path} without credentials`);

  const writes: [string, string, unknown][] = [
    ['POST', '/api/v1/heartbeats', { name: 'v' }],
    ['PUT', `/api/v1/heartbeats/${id}`, { name: 'v' }],
    ['DELETE', `/api/v1/heartbeats/${id}`, undefined],
    ['POST', `/api/v1/heartbeats/${id}/pause`, undefined],
    ['POST', `/api/v1/heartbeats/${paused.id}/resume`, undefined],
  ];
  for (const [method, path, body] of writes) {
    t.equal((await call(kernel, method, path, { headers: acmeViewer.headers, body })).status, 403, `${method} ${path} as a viewer`);
  }
  for (const [method, path] of everyOperation.filter(([m]) => m === 'GET')) {
    t.equal((await call(kernel, method, path, { headers: acmeViewer.headers })).status, 200, `a viewer reads ${path}`);
  }
  t.equal((await call(kernel, 'PUT', `/api/v1/heartbeats/${id}`, { headers: acmeAdmin.headers, body: { graceSeconds: 60 } })).status, 200, 'an admin writes');

  for (const [method, path, body] of [
    ['GET', `/api/v1/heartbeats/${id}`, undefined],
    ['PUT', `/api/v1/heartbeats/${id}`, { name: 'mine now' }],
    ['DELETE', `/api/v1/heartbeats/${id}`, undefined],
    ['POST', `/api/v1/heartbeats/${id}/pause`, undefined],
    ['POST', `/api/v1/heartbeats/${paused.id}/resume`, undefined],
    ['GET', `/api/v1/heartbeats/${id}/executions`, undefined],
    ['GET', `/api/v1/heartbeats/${id}/pings`, undefined],
    ['GET', `/api/v1/heartbeats/${id}/uptime/daily`, undefined],
  ] as [string, string, unknown][]) {
    t.equal((await call(kernel, method, path, { headers: globexAdmin.headers, body })).status, 404, `${method} ${path} from another tenant`);
  }
  t.equal((await call(kernel, 'GET', '/api/v1/heartbeats', { headers: globexAdmin.headers })).json.page.total, 0, 'another tenant lists none');
  t.match((await call(kernel, 'GET', `/api/v1/heartbeats/${id}`, { headers: acmeOps.headers })).json, { name: 'nightly backup', status: 'up' }, 'untouched');
  t.equal((await call(kernel, 'GET', `/api/v1/heartbeats/${paused.id}`, { headers: acmeOps.headers })).json.status, 'paused');
});

t.test('pings and executions are listed newest first with paging', async (t) => {
  const { kernel, acmeViewer, create, ping, clock } = await heartbeatWorld(t);
  const hb = await create();
  for (let i = 0; i < 5; i++) {
    await ping(`/ping/${hb.uuid}/start`);
    clock.advance(10);
    await ping(`/ping/${hb.uuid}/${i % 2}`);
    clock.advance(50);
  }
  const pings = await call(kernel, 'GET', `/api/v1/heartbeats/${hb.id}/pings?limit=3&offset=1`, { headers: acmeViewer.headers });
  t.match(pings.json, { page: { limit: 3, offset: 1, returned: 3, total: 10 }, sort: { by: 'receivedAt', order: 'desc' } });
  t.same(
    pings.json.data.map((p: any) => p.kind),
    ['start', 'fail', 'start'],
  );
  const fails = await call(kernel, 'GET', `/api/v1/heartbeats/${hb.id}/pings?kind=fail`, { headers: acmeViewer.headers });
  t.match(fails.json, {
    page: { total: 2 },
    filters: { kind: 'fail' },
    data: [
      { kind: 'fail', exitCode: 1 },
      { kind: 'fail', exitCode: 1 },
    ],
  });
  const runs = await call(kernel, 'GET', `/api/v1/heartbeats/${hb.id}/executions?limit=2`, { headers: acmeViewer.headers });
  t.match(runs.json, {
    page: { limit: 2, returned: 2, total: 5 },
    data: [
      { outcome: 'success', durationMs: 10_000, exitCode: 0 },
      { outcome: 'failure', durationMs: 10_000, exitCode: 1 },
    ],
  });
});
