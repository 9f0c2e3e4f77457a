import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { login, memberPassword, startWorld } from '../testing/identity-fixtures.ts';

async function integrationAdmin(world: Awaited<ReturnType<typeof startWorld>>) {
  const { kernel, admin } = world;
  const created = await call(kernel, 'POST', '/api/v1/users', {
    headers: admin.headers,
    body: { email: 'ian@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'integration_admin' }] },
  });
  t.equal(created.status, 201);
  return login(kernel, 'ian@acme.test', memberPassword);
}

t.test('a key is refused when its scope holds a permission its creator lacks', async (t) => {
  const world = await startWorld(t);
  const { kernel } = world;
  const ian = await integrationAdmin(world);
  for (const scope of ['write', 'ops_engineer', 'admin']) {
    const refused = await call(kernel, 'POST', '/api/v1/apikeys', { headers: ian.headers, body: { name: 'too much', scope } });
    t.equal(refused.status, 403, `scope ${scope} is refused`);
    t.equal(refused.json.error.code, 'forbidden');
    t.match(refused.json.error.message, /members:read/, 'the message names a permission the key would exceed');
  }
  const own = await call(kernel, 'POST', '/api/v1/apikeys', { headers: ian.headers, body: { name: 'same as me', scope: 'integration_admin' } });
  t.equal(own.status, 201, 'a key with the creator’s own permissions is allowed');
  const listed = await call(kernel, 'GET', '/api/v1/apikeys', { headers: ian.headers });
  t.equal(listed.json.api_keys.length, 1, 'no refused key was stored');
});

t.test('a key never acts beyond its creator’s current role', async (t) => {
  const world = await startWorld(t);
  const { kernel, acmeAdmin } = world;
  const ian = await integrationAdmin(world);
  const key = (await call(kernel, 'POST', '/api/v1/apikeys', { headers: ian.headers, body: { name: 'integration', scope: 'integration_admin' } })).json;
  const asKey = { 'x-api-key': key.api_key };
  t.equal((await call(kernel, 'GET', '/api/v1/apikeys', { headers: asKey })).status, 200);

  t.equal((await call(kernel, 'PUT', `/api/v1/members/${ian.id}`, { headers: acmeAdmin.headers, body: { role: 'viewer' } })).status, 200);
  const demoted = await call(kernel, 'GET', '/api/v1/apikeys', { headers: asKey });
  t.equal(demoted.status, 401, 'the creator was demoted below the key: the key is refused');
  t.equal(demoted.json.error.code, 'unauthorized');
  t.match(demoted.json.error.message, /creator/);

  t.equal((await call(kernel, 'PUT', `/api/v1/members/${ian.id}`, { headers: acmeAdmin.headers, body: { role: 'integration_admin' } })).status, 200);
  t.equal((await call(kernel, 'GET', '/api/v1/apikeys', { headers: asKey })).status, 200, 'restoring the role restores the key');

  // A key made by a key is bound by both.
  const child = (await call(kernel, 'POST', '/api/v1/apikeys', { headers: asKey, body: { name: 'child', scope: 'integration_admin' } })).json;
  t.equal((await call(kernel, 'GET', '/api/v1/apikeys', { headers: { 'x-api-key': child.api_key } })).status, 200);

  t.equal((await call(kernel, 'DELETE', `/api/v1/members/${ian.id}`, { headers: acmeAdmin.headers })).status, 204);
  t.equal((await call(kernel, 'GET', '/api/v1/apikeys', { headers: asKey })).status, 401, 'the creator was removed: the key is refused');
  t.equal((await call(kernel, 'GET', '/api/v1/apikeys', { headers: { 'x-api-key': child.api_key } })).status, 401, 'and so is the key it made');
});
