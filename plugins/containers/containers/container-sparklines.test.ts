import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { login, memberPassword } from '../../../core/testing/identity-fixtures.ts';
import { containerWorld } from './containers.testkit.ts';

t.test('dashboard sparklines of containers: uptime by running time per bucket', async (t) => {
  const { kernel, engine, clock, listed, admin, acmeViewer, globexAdmin } = await containerWorld(t);
  // Both seen at 12:00 (the test clock); db stops at once, web keeps running.
  engine.add({ Id: 'web1', Name: 'web', Image: 'nginx:1.27.0' });
  engine.add({ Id: 'db1', Name: 'db', Image: 'postgres:16.2', Status: 'exited', ExitCode: 1 });
  await listed((cs) => cs.some((c) => c.name === 'web' && c.state === 'running') && cs.some((c) => c.name === 'db' && c.state === 'exited'));
  clock.advance(1800);

  const get = (query: string, headers = acmeViewer.headers) => call(kernel, 'GET', `/api/v1/dashboard/sparklines?${query}`, { headers });
  const response = await get('kind=containers&range=1h&buckets=2');
  t.equal(response.status, 200, response.text);
  t.match(response.json, {
    from: '2026-03-10T11:30:00.000Z',
    to: '2026-03-10T12:30:00.000Z',
    bucketSeconds: 1800,
    page: { returned: 2, total: 2 },
    filters: { kind: 'containers', range: '1h', buckets: 2 },
  });
  const [db, web] = response.json.data;
  t.match(web, { name: 'web', state: 'running', uptimePercent: 100, avgResponseTimeMs: null });
  t.same(
    web.points.map((p: any) => [p.at, p.uptimePercent, p.checks, p.responseTimeMs]),
    [
      ['2026-03-10T11:30:00.000Z', null, 0, null],
      ['2026-03-10T12:00:00.000Z', 100, 0, null],
    ],
    'no figure before it was first seen; no checks without label-declared endpoints',
  );
  t.match(db, { name: 'db', state: 'exited', uptimePercent: 0 });
  t.same(
    db.points.map((p: any) => p.uptimePercent),
    [null, 0],
  );

  const searched = await get('kind=containers&q=postgres');
  t.match(searched.json, { page: { total: 1 }, data: [{ name: 'db' }] }, 'q searches the image too');
  const endpoints = await get('range=1h&buckets=2');
  t.match(endpoints.json, { page: { total: 0 } }, 'endpoints stay the default');

  for (const query of ['kind=pods', 'kind=containers&status=up', 'kind=containers&buckets=1']) {
    const bad = await get(query);
    t.equal(bad.status, 400, query);
    t.match(bad.json, { error: { code: 'validation_failed' } });
  }
  t.equal((await call(kernel, 'GET', '/api/v1/dashboard/sparklines?kind=containers')).status, 401);
  // billing has neither endpoint nor container permissions.
  await call(kernel, 'POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'bill@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'billing' }] },
  });
  t.equal((await get('kind=containers', (await login(kernel, 'bill@acme.test', memberPassword)).headers)).status, 403);
  t.match((await get('kind=containers', globexAdmin.headers)).json, { data: [], page: { total: 0 } }, 'another workspace sees none of them');
  const foreign = await get('kind=containers', { ...globexAdmin.headers, 'x-workspace-id': 'acme' });
  t.equal(foreign.status, 404, 'nor acme’s, naming acme');
});
