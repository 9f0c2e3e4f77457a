import { createClient } from 'graphql-ws';
import t from 'tap';
import { startTestKernel } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { startWorld } from '../testing/identity-fixtures.ts';

const post = (url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${url}/graphql`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as any,
  }));

t.test('POST /graphql serves the merged schema', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  const result = await post(kernel.url, {
    query: 'query Q($n: String!) { health { status version } plugins { id } exampleHello(name: $n) }',
    variables: { n: 'Ada' },
  });
  t.equal(result.status, 200);
  t.same(result.json.data, { health: { status: 'ok', version: '0.1.0' }, plugins: [{ id: 'example' }], exampleHello: 'Hello, Ada!' });
  const echo = await post(kernel.url, { query: 'mutation { echo(message: "hi") }' });
  t.same(echo.json.data, { echo: 'hi' });
  const viaGet = await fetch(`${kernel.url}/graphql?query=${encodeURIComponent('{ health { status } }')}`).then((r) => r.json());
  t.same(viaGet, { data: { health: { status: 'ok' } } });
});

t.test('bad GraphQL requests get clear errors', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  const syntax = await post(kernel.url, { query: '{ health { ' });
  t.equal(syntax.status, 400);
  t.match(syntax.json.errors[0].message, /Syntax Error/);
  const unknownField = await post(kernel.url, { query: '{ nope }' });
  t.equal(unknownField.status, 400);
  t.equal(unknownField.json.errors[0].extensions.code, 'validation_failed');
  const noQuery = await post(kernel.url, { variables: {} });
  t.equal(noQuery.status, 400);
  t.equal(noQuery.json.error.code, 'validation_failed');
  const malformed = await post(kernel.url, '{"query": ');
  t.equal(malformed.status, 400);
  t.equal(malformed.json.error.code, 'invalid_json');
  const mutationViaGet = await fetch(`${kernel.url}/graphql?query=${encodeURIComponent('mutation { echo(message: "x") }')}`);
  t.equal(mutationViaGet.status, 405);
});

t.test('graphql-ws subscriptions on /graphql/ws', async (t) => {
  const { kernel, admin } = await startWorld(t, { plugins: [examplePlugin] });
  const client = createClient({
    url: `${kernel.url.replace('http', 'ws')}/graphql/ws`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${admin.token}` },
  });
  t.teardown(() => client.dispose());
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const unsubscribe = client.subscribe<{ serverTime: string }>(
      { query: 'subscription { serverTime(intervalMs: 1000) }' },
      {
        next: (message) => {
          received.push(message.data?.serverTime as string);
          if (received.length === 2) {
            unsubscribe();
            resolve();
          }
        },
        error: reject,
        complete: () => resolve(),
      },
    );
  });
  t.equal(received.length, 2);
  t.ok(
    received.every((time) => !Number.isNaN(Date.parse(time))),
    'each event carries an RFC 3339 time',
  );
  const query = await client.iterate({ query: '{ exampleHello(name: "ws") }' }).next();
  t.same(query.value?.data, { exampleHello: 'Hello, ws!' }, 'queries work over the socket too');
});
