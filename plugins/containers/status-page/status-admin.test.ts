import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { statusWorld } from './status-page.testkit.ts';

const hb = '6f1c1a3e-3f1b-4a39-9d3e-0b6f7f1c2a10';

t.test('groups: create, list, update and delete; components of a deleted group stay, ungrouped', async (t) => {
  const { kernel, acmeOps, acmeViewer, group, component } = await statusWorld(t);
  const created = await call(kernel, 'POST', '/api/v1/status/groups', {
    headers: acmeOps.headers,
    body: { name: '  Databases ', description: 'Primary and replicas' },
  });
  t.equal(created.status, 201);
  t.match(created.json, { id: /^[0-9a-f-]{36}$/, name: 'Databases', description: 'Primary and replicas', position: 0, createdAt: String, updatedAt: String });
  const web = await group({ name: 'Web' });
  t.equal(web.position, 1, 'placed last');
  const first = await group({ name: 'Edge', position: 0 });

  const list = await call(kernel, 'GET', '/api/v1/status/groups', { headers: acmeViewer.headers });
  t.equal(list.status, 200);
  t.match(list.json, { page: { limit: 50, offset: 0, returned: 3, total: 3 }, sort: { by: 'position', order: 'asc' }, filters: {} });
  t.same(
    list.json.data.map((g: any) => g.name),
    ['Databases', 'Edge', 'Web'],
    'by position, then name',
  );
  const searched = await call(kernel, 'GET', '/api/v1/status/groups?q=replica&sortBy=name&sortOrder=desc', { headers: acmeViewer.headers });
  t.match(searched.json, { data: [{ id: created.json.id }], page: { total: 1 }, filters: { q: 'replica' }, sort: { by: 'name', order: 'desc' } });
  t.match((await call(kernel, 'GET', '/api/v1/status/groups?limit=1&offset=5', { headers: acmeViewer.headers })).json, { data: [], page: { total: 3 } });

  const updated = await call(kernel, 'PUT', `/api/v1/status/groups/${first.id}`, { headers: acmeOps.headers, body: { position: 7, description: null } });
  t.equal(updated.status, 200);
  t.match(updated.json, { id: first.id, name: 'Edge', position: 7, description: null });

  const member = await component({ name: 'API', monitorType: 'heartbeat', monitorId: hb, groupId: web.id });
  t.equal(member.groupId, web.id);
  t.equal((await call(kernel, 'DELETE', `/api/v1/status/groups/${web.id}`, { headers: acmeOps.headers })).status, 204);
  t.equal((await call(kernel, 'DELETE', `/api/v1/status/groups/${web.id}`, { headers: acmeOps.headers })).status, 404, 'gone');
  const after = await call(kernel, 'GET', '/api/v1/status/components', { headers: acmeViewer.headers });
  t.match(after.json.data, [{ id: member.id, groupId: null }], 'its component stays, ungrouped');
  const topics = await kernel.database.query<{ payload: any }>("SELECT payload FROM event_outbox WHERE topic = 'status_page.updated' ORDER BY id");
  t.same(
    topics.map((r) => `${r.payload.kind} ${r.payload.action}`),
    ['group created', 'group created', 'group created', 'group updated', 'component created', 'group deleted'],
    'every change is announced',
  );
});

t.test('components: create, list with status and filters, update and delete', async (t) => {
  const { kernel, acmeOps, acmeViewer, group, component } = await statusWorld(t);
  const g = await group({ name: 'Core' });
  const created = await call(kernel, 'POST', '/api/v1/status/components', {
    headers: acmeOps.headers,
    body: { name: 'Nightly backup', description: 'pg_dump', monitorType: 'heartbeat', monitorId: hb, groupId: g.id },
  });
  t.equal(created.status, 201, created.text);
  t.match(created.json, {
    id: /^[0-9a-f-]{36}$/,
    name: 'Nightly backup',
    description: 'pg_dump',
    groupId: g.id,
    position: 0,
    monitorType: 'heartbeat',
    monitorId: hb,
    status: 'unknown',
    statusSince: null,
  });
  const api = await component({ name: 'API', monitorType: 'endpoint', monitorId: 'api-endpoint' });
  const web = await component({ name: 'Web', monitorType: 'container', monitorId: 'web-1', position: 3 });
  t.equal(api.position, 0, 'first of the ungrouped');
  await kernel.database.query(
    "INSERT INTO status_monitor (tenant_id, monitor_type, monitor_id, status, since, last_event_id) VALUES ('acme', 'container', 'web-1', 'major_outage', '2025-01-02T03:04:05Z', 1)",
  );

  const list = await call(kernel, 'GET', '/api/v1/status/components', { headers: acmeViewer.headers });
  t.equal(list.status, 200);
  t.match(list.json, { page: { returned: 3, total: 3 }, sort: { by: 'position', order: 'asc' } });
  t.same(
    list.json.data.map((c: any) => c.name),
    ['API', 'Nightly backup', 'Web'],
  );
  t.match(list.json.data[2], { id: web.id, status: 'major_outage', statusSince: '2025-01-02T03:04:05.000Z' });
  const byStatus = await call(kernel, 'GET', '/api/v1/status/components?sortBy=status', { headers: acmeViewer.headers });
  t.equal(byStatus.json.data[0].id, web.id, 'outages first');
  for (const [query, ids] of [
    [`groupId=${g.id}`, [created.json.id]],
    ['monitorType=endpoint', [api.id]],
    ['monitorId=web-1', [web.id]],
    ['status=major_outage', [web.id]],
    ['status=unknown&q=back', [created.json.id]],
  ] as [string, string[]][]) {
    const filtered = await call(kernel, 'GET', `/api/v1/status/components?${query}`, { headers: acmeViewer.headers });
    t.same(
      filtered.json.data.map((c: any) => c.id),
      ids,
      query,
    );
  }

  const moved = await call(kernel, 'PUT', `/api/v1/status/components/${created.json.id}`, {
    headers: acmeOps.headers,
    body: { groupId: null, name: 'Backup', monitorType: 'container', monitorId: 'web-1' },
  });
  t.equal(moved.status, 200, moved.text);
  t.match(moved.json, { groupId: null, name: 'Backup', description: 'pg_dump', monitorType: 'container', monitorId: 'web-1', status: 'major_outage' });
  t.equal((await call(kernel, 'DELETE', `/api/v1/status/components/${api.id}`, { headers: acmeOps.headers })).status, 204);
  t.equal((await call(kernel, 'GET', '/api/v1/status/components', { headers: acmeViewer.headers })).json.page.total, 2);
});

t.test('status admin endpoints: bad input, no auth, wrong role, other tenant', async (t) => {
  const { kernel, acmeOps, acmeViewer, acmeAdmin, globexAdmin, group, component } = await statusWorld(t);
  const g = await group({ name: 'Core' });
  const c = await component({ name: 'API', monitorType: 'heartbeat', monitorId: hb });

  const bad: [string, string, unknown][] = [
    ['GET', '/api/v1/status/groups?limit=0', undefined],
    ['GET', '/api/v1/status/groups?sortBy=secret', undefined],
    ['POST', '/api/v1/status/groups', {}],
    ['POST', '/api/v1/status/groups', { name: '  ' }],
    ['POST', '/api/v1/status/groups', { name: 'x', position: -1 }],
    ['POST', '/api/v1/status/groups', { name: 'x', colour: 'red' }],
    ['PUT', `/api/v1/status/groups/${g.id}`, {}],
    ['PUT', '/api/v1/status/groups/not-a-uuid', { name: 'x' }],
    ['DELETE', '/api/v1/status/groups/not-a-uuid', undefined],
    ['GET', '/api/v1/status/components?status=fine', undefined],
    ['GET', '/api/v1/status/components?monitorType=printer', undefined],
    ['GET', '/api/v1/status/components?groupId=nope', undefined],
    ['POST', '/api/v1/status/components', { name: 'x', monitorType: 'heartbeat' }],
    ['POST', '/api/v1/status/components', { name: 'x', monitorType: 'printer', monitorId: 'p1' }],
    ['POST', '/api/v1/status/components', { name: 'x', monitorType: 'heartbeat', monitorId: 'not-a-uuid' }],
    ['POST', '/api/v1/status/components', { name: 'x', monitorType: 'sla_service', monitorId: 'db' }],
    ['POST', '/api/v1/status/components', { name: 'x', monitorType: 'container', monitorId: '<script>' }],
    ['POST', '/api/v1/status/components', { name: 'x', monitorType: 'container', monitorId: 'c', groupId: 'g1' }],
    ['PUT', `/api/v1/status/components/${c.id}`, {}],
    ['PUT', `/api/v1/status/components/${c.id}`, { monitorId: 'not-a-uuid' }],
    ['PUT', `/api/v1/status/components/${c.id}`, { name: 7 }],
    ['DELETE', '/api/v1/status/components/nope', undefined],
  ];
  for (const [method, path, body] of bad) {
    const response = await call(kernel, method, path, { headers: acmeOps.headers, body });
    t.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${response.text}`);
    t.match(response.json, { error: { code: 'validation_failed', correlationId: String } });
  }

  const every: [string, string, unknown][] = [
    ['GET', '/api/v1/status/groups', undefined],
    ['POST', '/api/v1/status/groups', { name: 'v' }],
    ['PUT', `/api/v1/status/groups/${g.id}`, { name: 'v' }],
    ['DELETE', `/api/v1/status/groups/${g.id}`, undefined],
    ['GET', '/api/v1/status/components', undefined],
    ['POST', '/api/v1/status/components', { name: 'v', monitorType: 'heartbeat', monitorId: hb }],
    ['PUT', `/api/v1/status/components/${c.id}`, { name: 'v' }],
    ['DELETE', `/api/v1/status/components/${c.id}`, undefined],
  ];
  for (const [method, path, body] of every) {
    const response = await call(kernel, method, path, { body });
    t.equal(response.status, 401, `${method} ${path} without credentials`);
    t.match(response.json, { error: { code: 'unauthorized' } });
  }
  for (const [method, path, body] of every.filter(([m]) => m !== 'GET')) {
    const response = await call(kernel, method, path, { headers: acmeViewer.headers, body });
    t.equal(response.status, 403, `${method} ${path} as a viewer`);
    t.match(response.json, { error: { code: 'forbidden' } });
  }
  for (const [method, path] of every.filter(([m]) => m === 'GET')) {
    t.equal((await call(kernel, method, path, { headers: acmeViewer.headers })).status, 200, `a viewer reads ${path}`);
  }
  t.equal(
    (await call(kernel, 'PUT', `/api/v1/status/groups/${g.id}`, { headers: acmeAdmin.headers, body: { name: 'Core services' } })).status,
    200,
    'an admin writes',
  );

  const byId: [string, string, unknown][] = [
    ['PUT', `/api/v1/status/groups/${g.id}`, { name: 'mine now' }],
    ['DELETE', `/api/v1/status/groups/${g.id}`, undefined],
    ['PUT', `/api/v1/status/components/${c.id}`, { name: 'mine now' }],
    ['DELETE', `/api/v1/status/components/${c.id}`, undefined],
  ];
  for (const [method, path, body] of byId) {
    const response = await call(kernel, method, path, { headers: globexAdmin.headers, body });
    t.equal(response.status, 404, `${method} ${path} from another tenant`);
    t.match(response.json, { error: { code: 'not_found' } });
  }
  const foreignGroup = await call(kernel, 'POST', '/api/v1/status/components', {
    headers: globexAdmin.headers,
    body: { name: 'x', monitorType: 'heartbeat', monitorId: hb, groupId: g.id },
  });
  t.equal(foreignGroup.status, 404, 'another workspace’s group is not found');
  const moveIntoForeign = await call(kernel, 'PUT', `/api/v1/status/components/${c.id}`, {
    headers: acmeOps.headers,
    body: { groupId: (await group({ name: 'theirs' }, globexAdmin.headers)).id },
  });
  t.equal(moveIntoForeign.status, 404, 'nor can a component move into one');
  t.equal((await call(kernel, 'GET', '/api/v1/status/groups', { headers: globexAdmin.headers })).json.page.total, 1, 'another tenant lists only its own');
  t.equal((await call(kernel, 'GET', '/api/v1/status/components', { headers: globexAdmin.headers })).json.page.total, 0);
  t.match(
    (await call(kernel, 'GET', '/api/v1/status/components', { headers: acmeOps.headers })).json.data,
    [{ id: c.id, name: 'API', groupId: null }],
    'untouched',
  );
  t.match((await call(kernel, 'GET', '/api/v1/status/groups', { headers: acmeOps.headers })).json.data, [{ id: g.id, name: 'Core services' }]);
});
