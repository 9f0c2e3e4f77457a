import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { endpointWorld } from './endpoint.testkit.ts';

t.test('sparklines: response time and uptime per bucket for every endpoint', async (t) => {
  const { kernel, acmeViewer, globexAdmin, create, checkedTimes, clock, billing } = await endpointWorld(t);
  let betaHealthy = false;
  const server = http.createServer((req, res) => {
    if (req.url === '/beta' && !betaHealthy) res.writeHead(500).end();
    else res.writeHead(200).end('fine');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Checks every 10 minutes from 12:00; beta fails until 12:30.
  const alpha = await create({ name: 'alpha', url: `${base}/alpha`, intervalSeconds: 600 });
  const beta = await create({ name: 'beta', url: `${base}/beta`, intervalSeconds: 600, failureThreshold: 1 });
  for (let round = 1; round <= 4; round++) {
    if (round === 4) betaHealthy = true;
    await checkedTimes(alpha.id, round);
    await checkedTimes(beta.id, round);
    if (round < 4) clock.advance(600);
  }

  const response = await call(kernel, 'GET', '/api/v1/dashboard/sparklines?range=1h&buckets=4', { headers: acmeViewer.headers });
  t.equal(response.status, 200, response.text);
  const body = response.json;
  t.match(body, {
    from: '2026-03-10T11:30:00.000Z',
    to: '2026-03-10T12:30:00.000Z',
    bucketSeconds: 900,
    page: { limit: 50, offset: 0, returned: 2, total: 2 },
    filters: { range: '1h', buckets: 4 },
  });
  const [a, b] = body.data;
  t.match(a, { endpointId: alpha.id, name: 'alpha', type: 'http', status: 'up', uptimePercent: 100, avgResponseTimeMs: Number });
  t.same(
    a.points.map((p: any) => [p.at, p.uptimePercent, p.checks, p.failedChecks]),
    [
      ['2026-03-10T11:30:00.000Z', null, 0, 0],
      ['2026-03-10T11:45:00.000Z', null, 0, 0],
      ['2026-03-10T12:00:00.000Z', 100, 2, 0],
      ['2026-03-10T12:15:00.000Z', 100, 2, 0],
    ],
    'before it existed: no figures; the check made at 12:30 counts in the last bucket',
  );
  t.equal(a.points[0].responseTimeMs, null);
  t.type(a.points[2].responseTimeMs, 'number');
  t.match(b, { endpointId: beta.id, status: 'up', uptimePercent: 0 }, 'down from 12:00 until the check at 12:30');
  t.same(
    b.points.map((p: any) => [p.uptimePercent, p.checks, p.failedChecks, p.responseTimeMs === null]),
    [
      [null, 0, 0, true],
      [null, 0, 0, true],
      [0, 2, 2, true],
      [0, 2, 1, false],
    ],
  );

  const day = await call(kernel, 'GET', '/api/v1/dashboard/sparklines', { headers: acmeViewer.headers });
  t.match(day.json, { bucketSeconds: 3600, filters: { range: '24h', buckets: 24 } });
  t.equal(day.json.data[0].points.length, 24);
  t.match(day.json.data[1], { uptimePercent: 0 });
  const paged = await call(kernel, 'GET', '/api/v1/dashboard/sparklines?limit=1&offset=1&q=bet', { headers: acmeViewer.headers });
  t.match(paged.json, { page: { returned: 0, total: 1 }, filters: { q: 'bet' } });
  const up = await call(kernel, 'GET', '/api/v1/dashboard/sparklines?status=up&range=7d&buckets=7', { headers: acmeViewer.headers });
  t.match(up.json, { page: { total: 2 }, bucketSeconds: 86_400, filters: { status: 'up' } });

  for (const query of ['range=2d', 'buckets=1', 'buckets=500', 'status=sleeping', 'limit=0']) {
    const bad = await call(kernel, 'GET', `/api/v1/dashboard/sparklines?${query}`, { headers: acmeViewer.headers });
    t.equal(bad.status, 400, query);
    t.match(bad.json, { error: { code: 'validation_failed' } });
  }
  t.equal((await call(kernel, 'GET', '/api/v1/dashboard/sparklines')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/dashboard/sparklines', { headers: (await billing()).headers })).status, 403);
  const other = await call(kernel, 'GET', '/api/v1/dashboard/sparklines', { headers: globexAdmin.headers });
  t.match(other.json, { data: [], page: { total: 0 } }, 'another workspace sees none of them');
  const unknown = await call(kernel, 'GET', '/api/v1/dashboard/sparklines', { headers: { ...globexAdmin.headers, 'x-workspace-id': 'acme' } });
  t.equal(unknown.status, 404, 'nor acme’s, naming acme');
});
