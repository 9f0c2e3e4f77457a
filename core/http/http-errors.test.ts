import t, { type Test } from 'tap';
import { definePlugin } from '../plugin-api/index.ts';
import { call, startTestKernel, testAccess } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

const faulty = definePlugin({
  id: 'faulty',
  version: '1.0.0',
  host: '*',
  openapi: {
    paths: {
      '/api/v1/faulty': {
        get: {
          operationId: 'faultyGet',
          'x-public': true,
          security: [],
          responses: { '200': { description: 'never', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
    },
  },
  init(ctx) {
    ctx.handle('faultyGet', () => {
      throw new Error('secret internal detail at /srv/app.ts:12');
    });
  },
});

const access = testAccess({ writer: ['example:write', 'example:read'], viewer: ['example:read'] });

const isStandardError = (t: Test, body: any, code: string) => {
  t.equal(body?.error?.code, code, `error code ${code}`);
  t.type(body?.error?.message, 'string');
  t.type(body?.error?.correlationId, 'string');
};

t.test('every error status leaves in the standard format', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin, faulty], access, env: { ITOPS_BODY_LIMIT_BYTES: '2048' } });

  const unknown = await call(kernel, 'GET', '/api/v1/nothing-here');
  t.equal(unknown.status, 404);
  isStandardError(t, unknown.json, 'not_found');

  const wrongMethod = await call(kernel, 'DELETE', '/health');
  t.equal(wrongMethod.status, 405);
  isStandardError(t, wrongMethod.json, 'method_not_allowed');
  t.equal(wrongMethod.headers.get('allow'), 'GET, HEAD');

  const badQuery = await call(kernel, 'GET', '/api/v1/example/hello/Ada?times=9');
  t.equal(badQuery.status, 400);
  isStandardError(t, badQuery.json, 'validation_failed');
  t.same(badQuery.json.error.details[0].path, '/query/times');

  const badBody = await call(kernel, 'POST', '/api/v1/example/scores', { body: { values: [] }, headers: { authorization: 'Test writer' } });
  t.equal(badBody.status, 400);
  isStandardError(t, badBody.json, 'validation_failed');

  const malformed = await call(kernel, 'POST', '/api/v1/example/scores', {
    raw: '{"values": [1,',
    headers: { 'content-type': 'application/json', authorization: 'Test writer' },
  });
  t.equal(malformed.status, 400);
  isStandardError(t, malformed.json, 'invalid_json');

  const anonymous = await call(kernel, 'POST', '/api/v1/example/scores', { body: { values: [1] } });
  t.equal(anonymous.status, 401);
  isStandardError(t, anonymous.json, 'unauthorized');

  const badCredentials = await call(kernel, 'GET', '/api/v1/example/scores', { headers: { authorization: 'Bearer not-a-token' } });
  t.equal(badCredentials.status, 401);
  isStandardError(t, badCredentials.json, 'unauthorized');

  const wrongRole = await call(kernel, 'POST', '/api/v1/example/scores', { body: { values: [1] }, headers: { authorization: 'Test viewer' } });
  t.equal(wrongRole.status, 403);
  isStandardError(t, wrongRole.json, 'forbidden');

  const wrongType = await call(kernel, 'POST', '/api/v1/example/scores', {
    raw: 'values=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Test writer' },
  });
  t.equal(wrongType.status, 415);
  isStandardError(t, wrongType.json, 'unsupported_media_type');

  const tooLarge = await call(kernel, 'POST', '/api/v1/example/scores', {
    body: { values: Array.from({ length: 900 }, (_, i) => i) },
    headers: { authorization: 'Test writer' },
  });
  t.equal(tooLarge.status, 413);
  isStandardError(t, tooLarge.json, 'payload_too_large');

  const fault = await call(kernel, 'GET', '/api/v1/faulty');
  t.equal(fault.status, 500);
  isStandardError(t, fault.json, 'internal');
  t.notMatch(fault.text, /secret internal detail|\.ts:\d+|at /, 'no stack trace or internal message reaches the client');

  for (const response of [unknown, wrongMethod, badQuery, malformed, anonymous, wrongRole, wrongType, tooLarge, fault]) {
    t.match(response.headers.get('content-type'), /^application\/json/);
    t.equal(response.headers.get('x-correlation-id'), response.json.error.correlationId);
  }
});

t.test('correlation ids are echoed when well-formed and generated otherwise', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  const echoed = await call(kernel, 'GET', '/api/v1/nothing', { headers: { 'x-correlation-id': 'req-42.abc' } });
  t.equal(echoed.headers.get('x-correlation-id'), 'req-42.abc');
  t.equal(echoed.json.error.correlationId, 'req-42.abc');
  const ok = await call(kernel, 'GET', '/health', { headers: { 'x-correlation-id': 'trace:7' } });
  t.equal(ok.status, 200);
  t.equal(ok.headers.get('x-correlation-id'), 'trace:7');
  const replaced = await call(kernel, 'GET', '/health', { headers: { 'x-correlation-id': 'bad id with spaces <script>' } });
  t.match(replaced.headers.get('x-correlation-id'), /^[0-9a-f-]{36}$/);
});

t.test('a public contract route validates, coerces and answers', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin], access });
  const hello = await call(kernel, 'GET', '/api/v1/example/hello/Ada?times=2');
  t.equal(hello.status, 200);
  t.same(hello.json, { greeting: 'Hello, Ada! Hello, Ada!' });
  const patternViolation = await call(kernel, 'GET', '/api/v1/example/hello/%3Cscript%3E');
  t.equal(patternViolation.status, 400);
});
