import t from 'tap';
import { call, startTestKernel } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import { adminEmail, adminPassword, jwtSecret, login, startWorld } from '../testing/identity-fixtures.ts';

t.test('logging out revokes the session’s access token on every node, and only that session’s', async (t) => {
  const { kernel } = await startWorld(t);
  const second = await startTestKernel(t, { databaseUrl: kernel.database.url, env: { ITOPS_JWT_SECRET: jwtSecret } });
  const session = await login(kernel, adminEmail, adminPassword);
  const other = await login(kernel, adminEmail, adminPassword);
  for (const node of [kernel, second]) t.equal((await call(node, 'GET', '/api/v1/auth/me', { headers: session.headers })).status, 200);

  t.equal((await call(kernel, 'POST', '/api/v1/auth/logout', { body: { refreshToken: session.refreshToken } })).status, 204);
  const here = await call(kernel, 'GET', '/api/v1/auth/me', { headers: session.headers });
  t.equal(here.status, 401, 'the node that logged out refuses the access token at once');
  t.equal(here.json.error.code, 'unauthorized');
  const there = await eventually(async () => {
    const response = await call(second, 'GET', '/api/v1/auth/me', { headers: session.headers });
    return response.status === 401 ? response : undefined;
  });
  t.equal(there?.json.error.code, 'unauthorized', 'and so does every other node');
  t.equal((await call(second, 'GET', '/api/v1/auth/me', { headers: other.headers })).status, 200, 'another session of the user is untouched');

  // A node started after the logout learns it from the database.
  const third = await startTestKernel(t, { databaseUrl: kernel.database.url, env: { ITOPS_JWT_SECRET: jwtSecret } });
  t.equal((await call(third, 'GET', '/api/v1/auth/me', { headers: session.headers })).status, 401, 'a node started later refuses it too');
});

t.test('reusing a rotated refresh token revokes the access tokens of its session', async (t) => {
  const { kernel } = await startWorld(t);
  const session = await login(kernel, adminEmail, adminPassword);
  const refreshed = await call(kernel, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
  t.equal(refreshed.status, 200);
  const fresh = { authorization: `Bearer ${refreshed.json.token}` };
  t.equal((await call(kernel, 'GET', '/api/v1/auth/me', { headers: fresh })).status, 200);
  t.equal((await call(kernel, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status, 401, 'a copied token');
  t.equal((await call(kernel, 'GET', '/api/v1/auth/me', { headers: fresh })).status, 401, 'the whole session ended');
  t.equal((await call(kernel, 'GET', '/api/v1/auth/me', { headers: session.headers })).status, 401);
});
