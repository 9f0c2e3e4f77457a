import { connect } from 'node:net';
import { SignJWT } from 'jose';
import pg from 'pg';
import t, { type Test } from 'tap';
import { definePlugin } from '../plugin-api/index.ts';
import { startTestKernel } from '../plugin-api/testing.ts';
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
  // The escapes the body's text is scanned for, in each spelling JSON allows, in keys and nested values too.
  const json = { ...as.headers, 'content-type': 'application/json' };
  for (const [raw, what] of [
    ['{"name":"web \\uDC00 tier"}', 'a lone low surrogate, upper-case hex'],
    ['{"name":"web","description":"a \\u0000 b"}', 'NUL in a second field'],
    ['{"name":"web","labels":{"k\\u0000":"v"}}', 'NUL in a nested key'],
    ['{"name":"web","tags":["ok","x\\udBff"]}', 'a lone high surrogate in an array, mixed case'],
  ] as const) {
    refused(t, await call(kernel, 'POST', '/api/v1/status/groups', { headers: json, raw }), what);
  }
  refused(
    t,
    await call(kernel, 'POST', '/setup', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      raw: 'token=t&email=a%00b%40example.com&password=long+enough+password&workspaceId=acme2&workspaceName=Acme',
    }),
    'NUL in a form body (the setup form)',
  );
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

t.test('a NUL in a header is refused by the HTTP parser before any operation runs', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { firstParty: true });
  const { port } = new URL(kernel.url);
  const body = JSON.stringify({ name: 'header-nul' });
  const headers = Object.entries({ ...acmeAdmin.headers, 'content-type': 'application/json', 'content-length': String(body.length) })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  for (const [header, what, status] of [
    ['x-workspace-id: ac\0me\r\n', 'a NUL in the workspace header', 400],
    ['x-note: a\0b\r\n', 'a NUL in a header no operation reads', 400],
    ['x-workspace-id: acme\r\n', 'the same request without a NUL', 201],
  ] as const) {
    const answer = await new Promise<string>((resolve, reject) => {
      let received = '';
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(`POST /api/v1/status/groups HTTP/1.1\r\nhost: x\r\nconnection: close\r\n${headers}${header}\r\n${body}`),
      );
      socket.on('data', (chunk) => {
        received += chunk;
      });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    t.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${status}`);
  }
  const groups = await call(kernel, 'GET', '/api/v1/status/groups', { headers: { ...acmeAdmin.headers, 'x-workspace-id': 'acme' } });
  t.equal(groups.status, 200);
  t.equal(groups.json.data.filter((g: { name: string }) => g.name === 'header-nul').length, 1, 'only the request without a NUL created its group');
});

/** A handler whose query fails the way PostgreSQL fails on the given SQLSTATE. */
const failing = definePlugin({
  id: 'failing',
  version: '1.0.0',
  host: '*',
  openapi: {
    paths: {
      '/api/v1/failing/{sqlstate}': {
        get: {
          operationId: 'failingQuery',
          'x-public': true,
          security: [],
          parameters: [{ name: 'sqlstate', in: 'path', required: true, schema: { type: 'string', maxLength: 5 } }],
          responses: {
            '200': { description: 'never', content: { 'application/json': { schema: { type: 'object' } } } },
            '400': { description: 'bad input', content: { 'application/json': { schema: { type: 'object' } } } },
          },
        },
      },
    },
  },
  init(ctx) {
    ctx.handle('failingQuery', (request) => {
      throw Object.assign(new pg.DatabaseError('the database refused the value', 0, 'error'), { code: request.params.sqlstate, severity: 'ERROR' });
    });
  },
});

t.test('a PostgreSQL data exception that gets through is a 400; other database errors stay server faults', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [failing] });
  for (const sqlstate of ['22P02', '22003', '22021', '22P05']) {
    refused(t, await call(kernel, 'GET', `/api/v1/failing/${sqlstate}`), `SQLSTATE ${sqlstate}`);
  }
  const other = await call(kernel, 'GET', '/api/v1/failing/23505');
  t.equal(other.status, 500, 'a unique violation is no input error of the caller');
});
