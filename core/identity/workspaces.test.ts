import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';

t.test('tenants: platform admins only', async (t) => {
  const { kernel, admin, acmeAdmin } = await startWorld(t);
  const list = await call(kernel, 'GET', '/api/v1/tenants', { headers: admin.headers });
  t.equal(list.status, 200);
  t.match(list.json.tenants, [
    { tenant_id: 'acme', name: 'Acme Corporation', plan: 'pro', events_this_month: 0, created_at: String },
    { tenant_id: 'globex', name: 'Globex' },
  ]);
  const created = await call(kernel, 'POST', '/api/v1/tenants', {
    headers: admin.headers,
    body: { tenant_id: 'initech', name: 'Initech', contact_email: 'ops@initech.test' },
  });
  t.equal(created.status, 201);
  t.match(created.json, { tenant_id: 'initech', created_at: String });
  t.equal((await call(kernel, 'POST', '/api/v1/tenants', { headers: admin.headers, body: { tenant_id: 'initech', name: 'Again' } })).status, 409);
  const bad = await call(kernel, 'POST', '/api/v1/tenants', { headers: admin.headers, body: { tenant_id: 'Bad Id!', name: '' } });
  t.equal(bad.status, 400);
  t.equal(bad.json.error.details.length, 2);
  t.equal((await call(kernel, 'GET', '/api/v1/tenants')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/tenants', { headers: acmeAdmin.headers })).status, 403, 'a workspace admin is not a platform admin');
  t.equal((await call(kernel, 'POST', '/api/v1/tenants', { headers: acmeAdmin.headers, body: { tenant_id: 'evil', name: 'x' } })).status, 403);
  t.equal((await call(kernel, 'GET', '/api/v1/tenants', { headers: admin.headers })).json.tenants.length, 3, 'nothing was created by refused calls');
});

t.test('users: created by platform admins, unique by email', async (t) => {
  const { kernel, admin, acmeAdmin } = await startWorld(t);
  const created = await call(kernel, 'POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'new@acme.test', password: 'long enough password', memberships: [{ tenantId: 'acme', role: 'viewer' }] },
  });
  t.equal(created.status, 201);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/users', { headers: admin.headers, body: { email: 'NEW@acme.test', password: 'long enough password' } })).status,
    409,
  );
  t.equal((await call(kernel, 'POST', '/api/v1/users', { headers: admin.headers, body: { email: 'short@acme.test', password: 'short' } })).status, 400);
  const unknownTenant = await call(kernel, 'POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'u@x.test', password: 'long enough password', memberships: [{ tenantId: 'nope', role: 'viewer' }] },
  });
  t.equal(unknownTenant.status, 400);
  t.equal((await call(kernel, 'POST', '/api/v1/users', { body: { email: 'a@b.test', password: 'long enough password' } })).status, 401);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/users', { headers: acmeAdmin.headers, body: { email: 'a@b.test', password: 'long enough password' } })).status,
    403,
  );
  const [row] = await kernel.database.query<{ password_hash: string }>("SELECT password_hash FROM app_user WHERE email = 'new@acme.test'");
  t.match(row.password_hash, /^\$argon2id\$/, 'passwords are stored as argon2id hashes');
});

t.test('members: list conventions, role changes, isolation', async (t) => {
  const { kernel, acmeAdmin, acmeOps, acmeViewer, globexAdmin } = await startWorld(t);
  const page = await call(kernel, 'GET', '/api/v1/members?limit=2&sortBy=email&sortOrder=desc', { headers: acmeAdmin.headers });
  t.equal(page.status, 200);
  t.same(
    page.json.data.map((m: any) => m.email),
    ['victor@acme.test', 'olivia@acme.test'],
  );
  t.same(page.json.page, { limit: 2, offset: 0, returned: 2, total: 3 });
  t.same(page.json.sort, { by: 'email', order: 'desc' });
  const next = await call(kernel, 'GET', '/api/v1/members?limit=2&offset=2&sortBy=email&sortOrder=desc', { headers: acmeAdmin.headers });
  t.same(
    next.json.data.map((m: any) => m.email),
    ['alice@acme.test'],
  );
  t.same(next.json.page, { limit: 2, offset: 2, returned: 1, total: 3 });
  const searched = await call(kernel, 'GET', '/api/v1/members?q=VIEW', { headers: acmeAdmin.headers });
  t.same(
    searched.json.data.map((m: any) => m.email),
    ['victor@acme.test'],
  );
  t.same(searched.json.filters, { q: 'VIEW' });
  const beyond = await call(kernel, 'GET', '/api/v1/members?offset=10', { headers: acmeAdmin.headers });
  t.same(beyond.json.page, { limit: 50, offset: 10, returned: 0, total: 3 });

  for (const query of ['sortBy=password_hash', 'limit=0', 'limit=5000', 'sortOrder=sideways', 'offset=-1']) {
    const bad = await call(kernel, 'GET', `/api/v1/members?${query}`, { headers: acmeAdmin.headers });
    t.equal(bad.status, 400, `${query} is refused`);
    t.equal(bad.json.error.code, 'validation_failed');
  }
  t.equal((await call(kernel, 'GET', '/api/v1/members')).status, 401);
  t.equal((await call(kernel, 'GET', '/api/v1/members', { headers: acmeViewer.headers })).status, 403);
  t.equal((await call(kernel, 'GET', '/api/v1/members', { headers: acmeOps.headers })).status, 200, 'ops engineers may read members');
  const foreign = await call(kernel, 'GET', '/api/v1/members', { headers: { ...globexAdmin.headers, 'x-workspace-id': 'acme' } });
  t.equal(foreign.status, 404, "another tenant's workspace does not exist for the caller");
  t.equal(foreign.json.error.code, 'not_found');

  const promoted = await call(kernel, 'PUT', `/api/v1/members/${acmeViewer.id}`, { headers: acmeAdmin.headers, body: { role: 'ops_engineer' } });
  t.equal(promoted.status, 200);
  t.match(promoted.json, { userId: acmeViewer.id, email: 'victor@acme.test', role: 'ops_engineer' });
  t.equal((await call(kernel, 'GET', '/api/v1/members', { headers: acmeViewer.headers })).status, 200, 'the new role applies at once');
  t.equal(
    (await call(kernel, 'PUT', `/api/v1/members/${acmeViewer.id}`, { headers: acmeAdmin.headers, body: { role: 'platform_admin' } })).status,
    400,
    'platform_admin is not a workspace role',
  );
  t.equal((await call(kernel, 'PUT', `/api/v1/members/${acmeViewer.id}`, { headers: acmeOps.headers, body: { role: 'msp_admin' } })).status, 403);
  t.equal(
    (await call(kernel, 'PUT', '/api/v1/members/00000000-0000-4000-8000-000000000000', { headers: acmeAdmin.headers, body: { role: 'viewer' } })).status,
    404,
  );
  t.equal((await call(kernel, 'DELETE', `/api/v1/members/${acmeOps.id}`, { headers: globexAdmin.headers })).status, 404, 'globex cannot touch acme members');
  t.equal((await call(kernel, 'DELETE', `/api/v1/members/${acmeOps.id}`, { headers: acmeAdmin.headers })).status, 204);
  t.equal((await call(kernel, 'GET', '/api/v1/members', { headers: acmeOps.headers })).status, 403, 'a removed member loses access at once');
});

t.test('effective permissions with the seed fields', async (t) => {
  const { kernel, acmeViewer, acmeAdmin, admin } = await startWorld(t);
  const viewer = await call(kernel, 'GET', '/api/v1/rbac/permissions', { headers: acmeViewer.headers });
  t.equal(viewer.status, 200);
  t.match(viewer.json, { tenant_id: 'acme', user_id: 'victor@acme.test', role: 'viewer', level: 1 });
  t.ok(viewer.json.permissions.includes('rbac:read'));
  t.notOk(viewer.json.permissions.includes('apikeys:write'));
  const adminView = await call(kernel, 'GET', '/api/v1/rbac/permissions', { headers: acmeAdmin.headers });
  t.match(adminView.json, { role: 'msp_admin', level: 3 });
  t.ok(adminView.json.permissions.includes('apikeys:write'));
  t.notOk(adminView.json.permissions.includes('tenants:write'), 'workspace admins hold no platform permission');
  t.equal((await call(kernel, 'GET', '/api/v1/rbac/permissions')).status, 401);
  t.equal(
    (await call(kernel, 'GET', '/api/v1/rbac/permissions', { headers: admin.headers })).status,
    403,
    'a platform admin without a workspace has none to act in',
  );
  t.equal((await call(kernel, 'GET', '/api/v1/rbac/permissions', { headers: { ...acmeViewer.headers, 'x-workspace-id': 'globex' } })).status, 404);
});
