import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { login, startWorld } from '../testing/identity-fixtures.ts';

t.test('a workspace’s creator can be its first admin in the same call', async (t) => {
  const { kernel, admin } = await startWorld(t);
  const created = await call(kernel, 'POST', '/api/v1/tenants', {
    headers: admin.headers,
    body: { tenant_id: 'initech', name: 'Initech', admin_user_id: admin.id },
  });
  t.equal(created.status, 201);
  t.match(created.json, { tenant_id: 'initech', created_at: String, admin: { user_id: admin.id, role: 'msp_admin' } });
  // At once, without signing in again: the new membership is what this request's user holds now.
  const members = await call(kernel, 'GET', '/api/v1/members', { headers: { ...admin.headers, 'x-workspace-id': 'initech' } });
  t.equal(members.status, 200);
  t.match(members.json.data, [{ userId: admin.id, role: 'msp_admin' }]);
  const again = await login(kernel, admin.email, 'correct horse battery staple');
  t.match((await call(kernel, 'GET', '/api/v1/auth/me', { headers: again.headers })).json.memberships, [{ tenantId: 'initech', role: 'msp_admin' }]);
});

t.test('or an address is invited as its first admin; the invitation commits with the workspace', async (t) => {
  const { kernel, admin } = await startWorld(t);
  const created = await call(kernel, 'POST', '/api/v1/tenants', {
    headers: admin.headers,
    body: { tenant_id: 'hooli', name: 'Hooli', admin_email: 'Gavin@Hooli.test' },
  });
  t.equal(created.status, 201);
  t.match(created.json.invitation, { id: String, tenantId: 'hooli', email: 'gavin@hooli.test', role: 'msp_admin', expiresAt: String });

  await call(kernel, 'POST', '/api/v1/users', { headers: admin.headers, body: { email: 'gavin@hooli.test', password: 'gavin password 12' } });
  const gavin = await login(kernel, 'gavin@hooli.test', 'gavin password 12');
  const accepted = await call(kernel, 'POST', `/api/v1/invitations/${created.json.invitation.id}/accept`, { headers: gavin.headers });
  t.equal(accepted.status, 200);
  t.same(accepted.json, { tenantId: 'hooli', role: 'msp_admin' });
});

t.test('bad first admins are refused and leave no workspace behind', async (t) => {
  const { kernel, admin, acmeAdmin } = await startWorld(t);
  const unknown = await call(kernel, 'POST', '/api/v1/tenants', {
    headers: admin.headers,
    body: { tenant_id: 'ghost', name: 'Ghost', admin_user_id: '00000000-0000-4000-8000-000000000000' },
  });
  t.equal(unknown.status, 400);
  t.match(unknown.json.error, { code: 'validation_failed', details: [{ path: '/body/admin_user_id' }] });
  const both = await call(kernel, 'POST', '/api/v1/tenants', {
    headers: admin.headers,
    body: { tenant_id: 'ghost', name: 'Ghost', admin_user_id: admin.id, admin_email: 'x@ghost.test' },
  });
  t.equal(both.status, 400);
  t.equal(
    (await call(kernel, 'POST', '/api/v1/tenants', { headers: admin.headers, body: { tenant_id: 'ghost', name: 'Ghost', admin_user_id: 'nope' } })).status,
    400,
  );
  t.equal(
    (await call(kernel, 'POST', '/api/v1/tenants', { headers: admin.headers, body: { tenant_id: 'ghost', name: 'Ghost', admin_email: 'not-an-email' } }))
      .status,
    400,
  );
  const tenants = await call(kernel, 'GET', '/api/v1/tenants', { headers: admin.headers });
  t.notOk(
    tenants.json.tenants.some((x: { tenant_id: string }) => x.tenant_id === 'ghost'),
    'the refused workspace was rolled back',
  );
  t.equal(
    (await call(kernel, 'POST', '/api/v1/tenants', { headers: acmeAdmin.headers, body: { tenant_id: 'mine', name: 'Mine', admin_user_id: acmeAdmin.id } }))
      .status,
    403,
  );
  t.equal((await call(kernel, 'POST', '/api/v1/tenants', { body: { tenant_id: 'mine', name: 'Mine' } })).status, 401);
  const taken = await call(kernel, 'POST', '/api/v1/tenants', { headers: admin.headers, body: { tenant_id: 'acme', name: 'Again', admin_user_id: admin.id } });
  t.equal(taken.status, 409);
});
