import { SignJWT } from 'jose';
import t, { type Test } from 'tap';
import { jwtSecret, startWorld } from '../testing/identity-fixtures.ts';
import { call } from '../testing/test-kernel.ts';

/**
 * Malformed input that used to reach PostgreSQL (NUL bytes, lone surrogates, integers past bigint, a
 * token whose subject is no user id) is refused before any handler runs, in the standard format.
 */

const refused = (t: Test, response: { status: number; json: any }, what: string, code = 'validation_failed') => {
  t.equal(response.status, code === 'unauthorized' ? 401 : 400, `${what}: status`);
  t.equal(response.json?.error?.code, code, `${what}: error code`);
  t.type(response.json?.error?.correlationId, 'string', `${what}: correlation id`);
};

t.test('bad input is a 400, never a 500', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { firstParty: true });
  const as = { headers: { ...acmeAdmin.headers, 'x-workspace-id': 'acme' } };

  refused(t, await call(kernel, 'GET', '/api/v1/status/groups?offset=99999999999999999999', as), 'offset past bigint');
  refused(t, await call(kernel, 'GET', '/api/v1/status/groups?q=a%00b', as), 'NUL in q');
  refused(t, await call(kernel, 'PUT', '/api/v1/status/groups/a%00b', { ...as, body: { name: 'x' } }), 'NUL in a path id');
  refused(t, await call(kernel, 'DELETE', '/api/v1/status/groups/%ED%A0%80', as), 'lone surrogate bytes in a path id');
  refused(t, await call(kernel, 'GET', '/api/v1/status/groups?q=a%ED%A0%80b', as), 'lone surrogate bytes in q');
  refused(
    t,
    await call(kernel, 'POST', '/api/v1/status/groups', {
      headers: { ...as.headers, 'content-type': 'application/json' },
      raw: '{"name":"web \\ud800 tier"}',
    }),
    'lone surrogate in a name',
  );
  refused(t, await call(kernel, 'POST', '/api/v1/status/groups', { ...as, body: { name: 'web\u0000tier' } }), 'NUL in a name');
  refused(t, await call(kernel, 'POST', '/api/v1/operator/heartbeat', { ...as, body: { nodeId: 'node-1', watchedServices: 1e30 } }), '1e30 in watchedServices');
  refused(t, await call(kernel, 'GET', '/status?workspace=a%00b'), 'NUL in the public status workspace');
  refused(t, await call(kernel, 'GET', '/status/events?workspace=a%00b'), 'NUL in the public status stream workspace');

  const stranger = await new SignJWT({ email: 'x@example.com', typ: 'access' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('not-a-uuid')
    .setIssuer('itops')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(jwtSecret));
  refused(t, await call(kernel, 'GET', '/api/v1/status/groups', { headers: { authorization: `Bearer ${stranger}` } }), 'non-UUID sub', 'unauthorized');
});
