import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { endpointWorld } from '../endpoints/endpoint.testkit.ts';
import { heartbeatWorld } from './heartbeat.testkit.ts';

const graphql = (kernel: any, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}) =>
  call(kernel, 'POST', '/graphql', { headers, body: { query, variables } });

t.test('GET /heartbeats/{id}/flips: status changes newest first, with time, from, to and reason', async (t) => {
  const { create, ping, clock, kernel, acmeOps, acmeViewer, globexAdmin } = await heartbeatWorld(t);
  const hb = await create();
  await ping(`/ping/${hb.uuid}`);
  clock.advance(10);
  await ping(`/ping/${hb.uuid}/fail`);
  clock.advance(10);
  await ping(`/ping/${hb.uuid}`);
  const path = `/api/v1/heartbeats/${hb.id}/flips`;
  const answer = await call(kernel, 'GET', path, { headers: acmeOps.headers });
  t.equal(answer.status, 200);
  t.match(answer.json.page, { total: 3 });
  t.same(
    answer.json.data.map((f: any) => [f.from, f.to]),
    [
      ['down', 'up'],
      ['up', 'down'],
      ['new', 'up'],
    ],
  );
  t.match(answer.json.data[1], { at: clock.iso(-10), reason: 'Failure ping' });
  t.equal(answer.json.data[0].reason, null);
  const downs = await call(kernel, 'GET', `${path}?to=down&limit=1`, { headers: acmeOps.headers });
  t.same(
    downs.json.data.map((f: any) => f.to),
    ['down'],
    'filtered by the status it changed to',
  );

  t.equal((await call(kernel, 'GET', `${path}?limit=0`, { headers: acmeOps.headers })).status, 400);
  t.equal((await call(kernel, 'GET', `${path}?to=sleeping`, { headers: acmeOps.headers })).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/heartbeats/not-a-uuid/flips', { headers: acmeOps.headers })).status, 400);
  t.equal((await call(kernel, 'GET', path)).status, 401, 'no credentials');
  t.equal((await call(kernel, 'GET', path, { headers: acmeViewer.headers })).status, 200, 'a viewer reads');
  const other = await call(kernel, 'GET', path, { headers: globexAdmin.headers });
  t.equal(other.status, 404, "another workspace's heartbeat is not there");
  t.match(other.json, { error: { code: 'not_found' } });
  t.equal((await call(kernel, 'GET', '/api/v1/heartbeats/00000000-0000-4000-8000-000000000000/flips', { headers: acmeOps.headers })).status, 404);

  const viaGraphql = await graphql(
    kernel,
    acmeOps.headers,
    'query($id: ID!) { heartbeat(id: $id) { flips(limit: 2) { data { from to reason at } page { total } } } }',
    {
      id: hb.id,
    },
  );
  t.same(viaGraphql.json.errors, undefined);
  t.same(
    viaGraphql.json.data.heartbeat.flips.data.map((f: any) => f.to),
    ['up', 'down'],
  );
  t.equal(viaGraphql.json.data.heartbeat.flips.page.total, 3);
});

t.test('GET /endpoints/{id}/flips: status changes newest first; REST and GraphQL alike', async (t) => {
  const { create, kernel, acmeOps, acmeViewer, globexAdmin } = await endpointWorld(t);
  const endpoint = await create({ name: 'shop', url: 'https://shop.test/health', enabled: false });
  const [row] = await kernel.database.query<{ tenant_id: string }>('SELECT tenant_id FROM endpoint WHERE id = ?', [endpoint.id]);
  await kernel.database.query(
    `INSERT INTO endpoint_flip (tenant_id, endpoint_id, at, from_status, to_status, reason) VALUES
      (?, ?, '2026-03-10T10:00:00Z', 'pending', 'up', NULL), (?, ?, '2026-03-10T11:00:00Z', 'up', 'down', 'HTTP 503')`,
    [row.tenant_id, endpoint.id, row.tenant_id, endpoint.id],
  );
  const path = `/api/v1/endpoints/${endpoint.id}/flips`;
  const answer = await call(kernel, 'GET', path, { headers: acmeOps.headers });
  t.equal(answer.status, 200);
  t.same(answer.json.data, [
    { at: '2026-03-10T11:00:00.000Z', from: 'up', to: 'down', reason: 'HTTP 503' },
    { at: '2026-03-10T10:00:00.000Z', from: 'pending', to: 'up', reason: null },
  ]);
  t.match(answer.json.page, { total: 2 });
  t.equal((await call(kernel, 'GET', `${path}?to=gone`, { headers: acmeOps.headers })).status, 400);
  t.equal((await call(kernel, 'GET', path)).status, 401);
  t.equal((await call(kernel, 'GET', path, { headers: acmeViewer.headers })).status, 200);
  t.equal((await call(kernel, 'GET', path, { headers: globexAdmin.headers })).status, 404);

  const viaGraphql = await graphql(kernel, acmeOps.headers, 'query($id: ID!) { endpoint(id: $id) { flips(to: down) { data { from to reason } } } }', {
    id: endpoint.id,
  });
  t.same(viaGraphql.json.errors, undefined);
  t.same(viaGraphql.json.data.endpoint.flips.data, [{ from: 'up', to: 'down', reason: 'HTTP 503' }]);
  const foreign = await graphql(kernel, globexAdmin.headers, 'query($id: ID!) { endpoint(id: $id) { flips { data { to } } } }', { id: endpoint.id });
  t.equal(foreign.json.data.endpoint, null, "another workspace's endpoint is null");
});
