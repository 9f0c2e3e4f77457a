import t from 'tap';
import { startPortal } from '../portal.testkit.ts';

t.test('clients resource: create, list, get, replace, patch, delete with versions; roles and workspaces', async (t) => {
  const w = await startPortal(t);
  const created = await w.write('POST', '/api/v1/clients', w.acmeOps, { name: 'Hooli', externalRef: 'ACC-17', tags: ['gold'] });
  t.equal(created.status, 201, created.text);
  t.match(created.json, { name: 'Hooli', externalRef: 'ACC-17', status: 'active', tags: ['gold'], version: 1, email: null });
  const id = created.json.id;

  const list = await w.read('/api/v1/clients?sortBy=name&q=hoo', w.acmeViewer);
  t.equal(list.status, 200, list.text);
  t.match(list.json, { data: [{ id, name: 'Hooli' }], page: { total: 1, returned: 1 }, sort: { by: 'name', order: 'asc' } });

  t.equal((await w.read(`/api/v1/clients/${id}`, w.acmeViewer)).json.name, 'Hooli');
  const patched = await w.write('PATCH', `/api/v1/clients/${id}`, w.acmeOps, { status: 'inactive', version: 1 });
  t.match(patched.json, { status: 'inactive', name: 'Hooli', version: 2 });
  const stale = await w.write('PATCH', `/api/v1/clients/${id}`, w.acmeOps, { name: 'Hooli XYZ', version: 1 });
  t.equal(stale.status, 409);
  t.match(stale.json, { error: { code: 'conflict', details: { currentVersion: 2 } } });
  const replaced = await w.write('PUT', `/api/v1/clients/${id}`, w.acmeOps, { name: 'Hooli Inc', version: 2 });
  t.match(replaced.json, { name: 'Hooli Inc', status: 'active', tags: [], externalRef: null, version: 3 });
  t.equal((await w.write('POST', '/api/v1/clients', w.acmeOps, { name: 'hooli inc' })).status, 409, 'names are unique in a workspace');

  t.equal((await w.write('POST', '/api/v1/clients', w.acmeOps, { name: '' })).status, 400);
  const badEmail = await w.write('POST', '/api/v1/clients', w.acmeOps, { name: 'X', email: 'not an email' });
  t.equal(badEmail.status, 400);
  t.match(badEmail.json, { error: { code: 'validation_failed' } });
  t.equal((await w.write('POST', '/api/v1/clients', w.acmeOps, { name: 'X', extra: 1 })).status, 400);
  t.equal((await w.write('POST', '/api/v1/clients', { headers: {} }, { name: 'X' })).status, 401);
  t.equal((await w.write('POST', '/api/v1/clients', w.acmeViewer, { name: 'X' })).status, 403);
  t.equal((await w.write('POST', '/api/v1/clients', w.initech, { name: 'X' })).status, 403, 'a portal session is not staff');
  t.equal((await w.read(`/api/v1/clients/${id}`, w.globexAdmin)).status, 404, "another workspace's client");
  t.equal((await w.write('DELETE', `/api/v1/clients/${id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('DELETE', `/api/v1/clients/${id}`, w.acmeOps)).status, 204);
  t.equal((await w.read(`/api/v1/clients/${id}`, w.acmeOps)).status, 404);
});

t.test('portal clients: a session sees only its own client', async (t) => {
  const w = await startPortal(t);
  const mine = await w.read('/api/v1/portal/clients', w.initech);
  t.equal(mine.status, 200, mine.text);
  t.same(
    mine.json.data.map((c: { id: string }) => c.id),
    [w.initech.id],
  );
  t.match(mine.json, { page: { total: 1 } });
  t.equal((await w.read('/api/v1/portal/clients', { headers: {} })).status, 401);
  const staff = await w.read('/api/v1/portal/clients', w.acmeViewer);
  t.equal(staff.status, 403, 'staff hold no portal permission');
  const admin = await w.read('/api/v1/portal/clients', w.acmeAdmin);
  t.equal(admin.status, 403, 'an admin holds the permission but is no portal session');
  t.match(admin.json, { error: { code: 'forbidden' } });
  t.equal((await w.read('/api/v1/portal/clients?x=%00', w.initech)).status, 400);
  const otherWorkspace = await w.read('/api/v1/portal/clients', { headers: { ...w.initech.headers, 'x-workspace-id': 'globex' } });
  t.equal(otherWorkspace.status, 404, 'a session belongs to its one workspace');
});
