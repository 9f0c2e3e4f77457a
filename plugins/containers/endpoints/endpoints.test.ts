import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { endpointWorld, eventually } from './endpoint.testkit.ts';
import { startTcpServer } from '../certificates/tls.testkit.ts';

/** A local HTTP service whose health the test switches. */
async function service(t: { teardown(fn: () => unknown): void }) {
  const state = { healthy: true, hits: 0 };
  const server = http.createServer((_req, res) => {
    state.hits += 1;
    if (state.healthy) res.writeHead(200, { 'content-type': 'text/plain' }).end('shop is OK');
    else res.writeHead(503).end('down for maintenance');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health` };
}

t.test('create, read, list, update and delete endpoints', async (t) => {
  const { kernel, acmeOps, acmeViewer, create, get } = await endpointWorld(t);
  const shop = await service(t);
  const created = await call(kernel, 'POST', '/api/v1/endpoints', {
    headers: acmeOps.headers,
    body: {
      name: 'shop health',
      description: 'the storefront',
      url: shop.url,
      method: 'POST',
      expectedStatus: '200,204',
      keyword: 'OK',
      headers: { Authorization: 'Bearer s3cret', 'X-Probe': 'itops' },
      body: '{}',
      timeoutSeconds: 5,
      intervalSeconds: 30,
      failureThreshold: 2,
    },
  });
  t.equal(created.status, 201, created.text);
  const endpoint = created.json;
  t.match(endpoint, {
    id: /^[0-9a-f-]{36}$/,
    name: 'shop health',
    description: 'the storefront',
    url: shop.url,
    type: 'http',
    host: '127.0.0.1',
    port: Number(new URL(shop.url).port),
    method: 'POST',
    expectedStatus: '200,204',
    keyword: 'OK',
    invertKeyword: false,
    headers: { Authorization: '<redacted>', 'X-Probe': 'itops' },
    body: '{}',
    timeoutSeconds: 5,
    intervalSeconds: 30,
    failureThreshold: 2,
    followRedirects: true,
    ignoreTlsErrors: false,
    enabled: true,
    source: 'api',
    containerId: null,
    certificateId: null,
    status: 'pending',
    consecutiveFailures: 0,
    createdAt: '2026-03-10T12:00:00.000Z',
  });
  const defaults = await create({ name: 'db', url: 'tcp://db.test:5432' });
  t.match(defaults, { type: 'tcp', host: 'db.test', port: 5432, intervalSeconds: 60, timeoutSeconds: 10, failureThreshold: 3, keyword: null, headers: {} });
  const secure = await create({ name: 'api', url: 'https://api.test:8443/v1/health' });
  t.match(secure, { type: 'https', host: 'api.test', port: 8443, monitorCertificate: true, certificateId: /^[0-9a-f-]{36}$/ });
  const certificate = await call(kernel, 'GET', `/api/v1/certificates/${secure.certificateId}`, { headers: acmeViewer.headers });
  t.match(
    certificate.json,
    { host: 'api.test', port: 8443, serverName: 'api.test', source: 'endpoint', endpointIds: [secure.id] },
    'an HTTPS endpoint brings a certificate monitor',
  );

  t.match(await get(endpoint.id, acmeViewer.headers), { id: endpoint.id, name: 'shop health' }, 'a viewer reads it');
  const list = await call(kernel, 'GET', '/api/v1/endpoints', { headers: acmeViewer.headers });
  t.match(list.json, { page: { limit: 50, offset: 0, returned: 3, total: 3 }, sort: { by: 'name', order: 'asc' }, filters: {} });
  t.same(
    list.json.data.map((e: any) => e.name),
    ['api', 'db', 'shop health'],
  );
  const tcp = await call(kernel, 'GET', '/api/v1/endpoints?type=tcp', { headers: acmeViewer.headers });
  t.match(tcp.json, { data: [{ name: 'db' }], page: { total: 1 }, filters: { type: 'tcp' } });
  const searched = await call(kernel, 'GET', '/api/v1/endpoints?q=storefront&sortBy=createdAt&sortOrder=desc', { headers: acmeViewer.headers });
  t.match(searched.json, { data: [{ id: endpoint.id }], page: { total: 1 }, filters: { q: 'storefront' } });
  t.match((await call(kernel, 'GET', '/api/v1/endpoints?limit=1&offset=2', { headers: acmeViewer.headers })).json, { page: { returned: 1, total: 3 } });

  const updated = await call(kernel, 'PUT', `/api/v1/endpoints/${endpoint.id}`, {
    headers: acmeOps.headers,
    body: { name: 'shop', keyword: null, headers: { Authorization: '<redacted>', 'X-Probe': 'v2' }, description: null },
  });
  t.equal(updated.status, 200, updated.text);
  t.match(updated.json, {
    name: 'shop',
    keyword: null,
    description: null,
    headers: { Authorization: '<redacted>', 'X-Probe': 'v2' },
    method: 'POST',
    intervalSeconds: 30,
  });
  const [stored] = await kernel.database.query<{ headers: Record<string, string> }>('SELECT headers FROM endpoint WHERE id = ?', [endpoint.id]);
  t.same(stored.headers, { Authorization: 'Bearer s3cret', 'X-Probe': 'v2' }, 'the redacted value kept the stored secret');

  const plain = await call(kernel, 'PUT', `/api/v1/endpoints/${secure.id}`, { headers: acmeOps.headers, body: { url: 'http://api.test:8080/v1/health' } });
  t.match(plain.json, { type: 'http', certificateId: null });
  t.equal(
    (await call(kernel, 'GET', `/api/v1/certificates/${secure.certificateId}`, { headers: acmeOps.headers })).status,
    404,
    'its derived certificate monitor went with it',
  );

  t.equal((await call(kernel, 'DELETE', `/api/v1/endpoints/${endpoint.id}`, { headers: acmeOps.headers })).status, 204);
  t.equal((await call(kernel, 'GET', `/api/v1/endpoints/${endpoint.id}`, { headers: acmeOps.headers })).status, 404);
  t.equal((await call(kernel, 'DELETE', `/api/v1/endpoints/${endpoint.id}`, { headers: acmeOps.headers })).status, 404);
});

t.test('checks run at once and then on schedule; the threshold takes it down and a pass brings it back', async (t) => {
  const { kernel, acmeViewer, create, get, checks, checkedTimes, topics, activeAlerts, clock } = await endpointWorld(t);
  const shop = await service(t);
  shop.state.healthy = false;
  const endpoint = await create({ name: 'shop', url: shop.url, keyword: 'OK', failureThreshold: 2, intervalSeconds: 60 });

  const first = await checkedTimes(endpoint.id, 1);
  t.match(first, {
    status: 'pending',
    consecutiveFailures: 1,
    lastCheckOk: false,
    lastStatusCode: 503,
    lastError: 'status 503, expected 200-299',
    lastCheckAt: clock.iso(),
  });
  t.same(await activeAlerts(), [], 'no alert below the threshold');

  clock.advance(60);
  const down = await checkedTimes(endpoint.id, 2);
  t.match(down, { status: 'down', consecutiveFailures: 2, statusChangedAt: clock.iso(-60) }, 'down since the first failed check');
  const alert = await eventually(async () => (await activeAlerts())[0]);
  t.match(alert, {
    source: 'containers',
    entityType: 'endpoint',
    entityId: endpoint.id,
    severity: 'critical',
    title: 'Endpoint shop is down',
    message: /status 503/,
  });

  shop.state.healthy = true;
  clock.advance(60);
  const up = await checkedTimes(endpoint.id, 3);
  t.match(up, { status: 'up', consecutiveFailures: 0, lastCheckOk: true, lastStatusCode: 200, lastError: null });
  t.type(up.lastResponseTimeMs, 'number');
  t.ok(await eventually(async () => ((await activeAlerts()).length === 0 ? true : undefined)), 'the alert is resolved');
  clock.advance(480);
  await checkedTimes(endpoint.id, 4);

  const events = await topics('endpoint.');
  t.same(
    events.map((e) => e.topic),
    ['endpoint.check_result', 'endpoint.check_result', 'endpoint.alert', 'endpoint.check_result', 'endpoint.recovery', 'endpoint.check_result'],
  );
  t.match(events[0], { tenant_id: 'acme', payload: { endpointId: endpoint.id, ok: false, status: 'pending', statusCode: 503, consecutiveFailures: 1 } });
  t.match(events[2].payload, {
    endpointId: endpoint.id,
    status: 'down',
    previousStatus: 'pending',
    consecutiveFailures: 2,
    downSince: '2026-03-10T12:00:00.000Z',
  });
  t.match(events[4].payload, { endpointId: endpoint.id, status: 'up', previousStatus: 'down', recoveredAt: '2026-03-10T12:02:00.000Z' });
  t.match(events[5].payload, { ok: true, responseTimeMs: Number });

  const history = await checks(endpoint.id);
  t.match(history, { page: { total: 4 }, sort: { by: 'checkedAt', order: 'desc' } });
  t.same(
    history.data.map((c: any) => [c.checkedAt, c.ok]),
    [
      ['2026-03-10T12:10:00.000Z', true],
      ['2026-03-10T12:02:00.000Z', true],
      ['2026-03-10T12:01:00.000Z', false],
      ['2026-03-10T12:00:00.000Z', false],
    ],
  );
  t.match(history.data[3], { statusCode: 503, error: 'status 503, expected 200-299', address: '127.0.0.1', responseTimeMs: Number });
  t.match(await checks(endpoint.id, '?ok=false&limit=1'), { page: { limit: 1, returned: 1, total: 2 }, filters: { ok: false } });
  t.match(await checks(endpoint.id, '?since=2026-03-10T12:01:00Z&until=2026-03-10T12:05:00Z'), { page: { total: 2 } });

  const uptime = await call(kernel, 'GET', `/api/v1/endpoints/${endpoint.id}/uptime/daily?days=2`, { headers: acmeViewer.headers });
  t.equal(uptime.status, 200);
  t.match(uptime.json, { endpointId: endpoint.id, timezone: 'UTC' });
  t.match(uptime.json.data[0], { date: '2026-03-09', uptimePercent: null, checks: 0, avgResponseTimeMs: null });
  // Created 12:00, now 12:10: down from the first failure (12:00) to the recovery (12:02).
  t.match(uptime.json.data[1], { date: '2026-03-10', uptimePercent: 80, downtimeSeconds: 120, monitoredSeconds: 600, outages: 1, checks: 4, failedChecks: 2 });
  t.type(uptime.json.data[1].avgResponseTimeMs, 'number');
  const berlin = await call(kernel, 'GET', `/api/v1/endpoints/${endpoint.id}/uptime/daily?days=1&timezone=Europe/Berlin`, { headers: acmeViewer.headers });
  t.match(berlin.json, { timezone: 'Europe/Berlin', data: [{ date: '2026-03-10', downtimeSeconds: 120 }] });
  t.equal((await get(endpoint.id)).status, 'up');
});

t.test('disabling pauses checks and resolves the alert; enabling checks again at once', async (t) => {
  const { kernel, acmeOps, create, checkedTimes, activeAlerts, clock } = await endpointWorld(t);
  const shop = await service(t);
  shop.state.healthy = false;
  const endpoint = await create({ name: 'shop', url: shop.url, failureThreshold: 1 });
  await checkedTimes(endpoint.id, 1);
  await eventually(async () => (await activeAlerts())[0]);
  const paused = await call(kernel, 'PUT', `/api/v1/endpoints/${endpoint.id}`, { headers: acmeOps.headers, body: { enabled: false } });
  t.match(paused.json, { enabled: false, status: 'paused', nextCheckAt: null, consecutiveFailures: 0 });
  t.ok(await eventually(async () => ((await activeAlerts()).length === 0 ? true : undefined)), 'a paused endpoint has no alert');
  const hits = shop.state.hits;
  clock.advance(3600);
  const control = await create({ name: 'control', url: shop.url });
  await checkedTimes(control.id, 1);
  t.equal(shop.state.hits, hits + 1, 'the paused endpoint was not checked (only the control was)');

  shop.state.healthy = true;
  const resumed = await call(kernel, 'PUT', `/api/v1/endpoints/${endpoint.id}`, { headers: acmeOps.headers, body: { enabled: true } });
  t.match(resumed.json, { enabled: true, status: 'pending', nextCheckAt: clock.iso() });
  t.match(await checkedTimes(endpoint.id, 2), { status: 'up' });
  const flips = await kernel.database.query<{ from_status: string; to_status: string }>(
    'SELECT from_status, to_status FROM endpoint_flip WHERE endpoint_id = ? ORDER BY at, id',
    [endpoint.id],
  );
  t.same(
    flips.map((f) => `${f.from_status}>${f.to_status}`),
    ['pending>down', 'down>paused', 'paused>pending', 'pending>up'],
  );
});

t.test('TCP checks, and private addresses where they are not opened', async (t) => {
  const tcp = await startTcpServer(t);
  const open = await endpointWorld(t);
  const db = await open.create({ name: 'db', url: `tcp://127.0.0.1:${tcp.port}` });
  t.match(await open.checkedTimes(db.id, 1), { status: 'up', lastCheckOk: true, lastStatusCode: null });

  const closed = await endpointWorld(t, { privateNetworks: [] });
  const refused = await call(closed.kernel, 'POST', '/api/v1/endpoints', {
    headers: closed.acmeOps.headers,
    body: { name: 'db', url: `tcp://127.0.0.1:${tcp.port}` },
  });
  t.equal(refused.status, 400);
  t.match(refused.json.error.details, [{ path: '/body/url', message: /checks may not reach this address: 127\.0\.0\.1 is a private address \(loopback\)/ }]);
  const named = await closed.create({ name: 'db', url: `tcp://db.test:${tcp.port}`, failureThreshold: 1 });
  t.match(
    await closed.checkedTimes(named.id, 1),
    { status: 'down', lastError: /db\.test is not allowed: 127\.0\.0\.1 is a private address/ },
    'a name that resolves to one fails its check',
  );
  const opened = await endpointWorld(t, { privateNetworks: ['globex=127.0.0.0/8'] });
  t.equal(
    (await call(opened.kernel, 'POST', '/api/v1/endpoints', { headers: opened.acmeOps.headers, body: { name: 'db', url: `tcp://127.0.0.1:${tcp.port}` } }))
      .status,
    400,
    'opened for globex only',
  );
  t.equal(
    (await call(opened.kernel, 'POST', '/api/v1/endpoints', { headers: opened.globexAdmin.headers, body: { name: 'db', url: `tcp://127.0.0.1:${tcp.port}` } }))
      .status,
    201,
  );
});

t.test('endpoint operations: bad input, no auth, wrong role, other tenant', async (t) => {
  const { kernel, acmeOps, acmeViewer, acmeAdmin, globexAdmin, create, get, billing } = await endpointWorld(t);
  const endpoint = await create({ name: 'shop', url: 'http://shop.test/health' });
  const id = endpoint.id;
  const labelled = (
    await kernel.database.query<{ id: string }>(
      `INSERT INTO endpoint (id, tenant_id, name, url, scheme, host, port, timeout_seconds, interval_seconds, phase_seconds, failure_threshold, source, container_id, label_key)
       VALUES (gen_random_uuid(), 'acme', 'from labels', 'http://web.test/', 'http', 'web.test', 80, 5, 60, 0, 3, 'labels', 'c0ffee', 'default') RETURNING id`,
    )
  )[0].id;

  const bad: [string, string, unknown][] = [
    ['GET', '/api/v1/endpoints?limit=0', undefined],
    ['GET', '/api/v1/endpoints?sortBy=url', undefined],
    ['GET', '/api/v1/endpoints?status=sleeping', undefined],
    ['GET', '/api/v1/endpoints?type=udp', undefined],
    ['GET', '/api/v1/endpoints/not-a-uuid', undefined],
    ['POST', '/api/v1/endpoints', {}],
    ['POST', '/api/v1/endpoints', { name: 'x' }],
    ['POST', '/api/v1/endpoints', { name: '  ', url: 'http://a.test/' }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'ftp://a.test/' }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://user:pw@a.test/' }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'tcp://db.test' }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'tcp://db.test:5432/path' }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'tcp://db.test:5432', keyword: 'ok' }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://a.test/', method: 'TRACE' }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://a.test/', expectedStatus: '2xx' }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://a.test/', timeoutSeconds: 30, intervalSeconds: 30 }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://a.test/', intervalSeconds: 5 }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://a.test/', failureThreshold: 0 }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://a.test/', headers: { 'bad header': 'x' } }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://a.test/', headers: { 'X-Token': '<redacted>' } }],
    ['POST', '/api/v1/endpoints', { name: 'x', url: 'http://a.test/', colour: 'red' }],
    ['PUT', `/api/v1/endpoints/${id}`, {}],
    ['PUT', `/api/v1/endpoints/${id}`, { timeoutSeconds: 90 }],
    ['PUT', `/api/v1/endpoints/${id}`, { url: 'tcp://db.test:5432', keyword: 'x' }],
    ['DELETE', '/api/v1/endpoints/nope', undefined],
    ['GET', `/api/v1/endpoints/${id}/checks?ok=maybe`, undefined],
    ['GET', `/api/v1/endpoints/${id}/checks?since=yesterday`, undefined],
    ['GET', `/api/v1/endpoints/${id}/checks?since=2026-03-10T12:00:00Z&until=2026-03-09T12:00:00Z`, undefined],
    ['GET', `/api/v1/endpoints/${id}/uptime/daily?days=0`, undefined],
    ['GET', `/api/v1/endpoints/${id}/uptime/daily?timezone=Atlantis`, undefined],
  ];
  for (const [method, path, body] of bad) {
    const response = await call(kernel, method, path, { headers: acmeOps.headers, body });
    t.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${response.text}`);
    t.match(response.json, { error: { code: 'validation_failed', correlationId: String } });
  }
  t.match(await get(id), { url: 'http://shop.test/health', method: 'GET' }, 'bad updates changed nothing');

  const everyOperation: [string, string][] = [
    ['GET', '/api/v1/endpoints'],
    ['POST', '/api/v1/endpoints'],
    ['GET', `/api/v1/endpoints/${id}`],
    ['PUT', `/api/v1/endpoints/${id}`],
    ['DELETE', `/api/v1/endpoints/${id}`],
    ['GET', `/api/v1/endpoints/${id}/checks`],
    ['GET', `/api/v1/endpoints/${id}/uptime/daily`],
  ];
  for (const [method, path] of everyOperation) {
    const response = await call(kernel, method, path);
    t.equal(response.status, 401, `${method} ${path} without credentials`);
    t.match(response.json, { error: { code: 'unauthorized' } });
  }
  for (const [method, path, body] of [
    ['POST', '/api/v1/endpoints', { name: 'v', url: 'http://v.test/' }],
    ['PUT', `/api/v1/endpoints/${id}`, { name: 'v' }],
    ['DELETE', `/api/v1/endpoints/${id}`, undefined],
  ] as [string, string, unknown][]) {
    const response = await call(kernel, method, path, { headers: acmeViewer.headers, body });
    t.equal(response.status, 403, `${method} ${path} as a viewer`);
    t.match(response.json, { error: { code: 'forbidden' } });
  }
  const bill = await billing();
  for (const [method, path] of everyOperation.filter(([m]) => m === 'GET')) {
    t.equal((await call(kernel, method, path, { headers: acmeViewer.headers })).status, 200, `a viewer reads ${path}`);
    t.equal((await call(kernel, method, path, { headers: bill.headers })).status, 403, `billing may not read ${path}`);
  }
  t.equal((await call(kernel, 'PUT', `/api/v1/endpoints/${id}`, { headers: acmeAdmin.headers, body: { failureThreshold: 5 } })).status, 200, 'an admin writes');

  for (const [method, path, body] of [
    ['GET', `/api/v1/endpoints/${id}`, undefined],
    ['PUT', `/api/v1/endpoints/${id}`, { name: 'mine now' }],
    ['DELETE', `/api/v1/endpoints/${id}`, undefined],
    ['GET', `/api/v1/endpoints/${id}/checks`, undefined],
    ['GET', `/api/v1/endpoints/${id}/uptime/daily`, undefined],
  ] as [string, string, unknown][]) {
    const response = await call(kernel, method, path, { headers: globexAdmin.headers, body });
    t.equal(response.status, 404, `${method} ${path} from another tenant`);
    t.match(response.json, { error: { code: 'not_found' } });
  }
  t.equal((await call(kernel, 'GET', '/api/v1/endpoints', { headers: globexAdmin.headers })).json.page.total, 0, 'another tenant lists none');
  t.match(await get(id), { name: 'shop', failureThreshold: 5 }, 'untouched by the other tenant');

  for (const [method, body] of [
    ['PUT', { name: 'renamed' }],
    ['DELETE', undefined],
  ] as [string, unknown][]) {
    const response = await call(kernel, method, `/api/v1/endpoints/${labelled}`, { headers: acmeOps.headers, body });
    t.equal(response.status, 409, `${method} of a label-declared endpoint`);
    t.match(response.json, { error: { code: 'conflict', message: /labels of container c0ffee/ } });
  }
});
