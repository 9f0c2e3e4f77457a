import { createClient } from 'graphql-ws';
import t from 'tap';
import { call, startTestKernel } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { jwtSecret, login, memberPassword, startWorld } from '../testing/identity-fixtures.ts';
import type { Kernel } from '../kernel/kernel.ts';

const wsUrl = (url: string) => `${url.replace('http', 'ws')}/graphql/ws`;
// A guard so that a stream left open fails the test instead of hanging it; no timing is asserted.
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen`)), 30_000);
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** An SSE stream of the workspace's events, read until the server ends it; `text` grows as it arrives. */
async function openStream(t: { teardown(fn: () => unknown): void }, kernel: Kernel, headers: Record<string, string>) {
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const response = await fetch(`${kernel.url}/api/v1/events/stream`, { headers: { ...headers, accept: 'text/event-stream' }, signal: controller.signal });
  if (response.status !== 200) throw new Error(`stream refused: ${response.status}`);
  const state = { text: '' };
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    while (true) {
      const { done, value } = await reader.read();
      if (done) return true;
      state.text += value;
    }
  })();
  ended.catch(() => {});
  return { state, ended };
}

/** A graphql-ws connection with an events subscription; resolves with how the server closed it. */
function openSubscription(t: { teardown(fn: () => unknown): void }, kernel: Kernel, connectionParams: Record<string, string>) {
  const client = createClient({ url: wsUrl(kernel.url), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams });
  t.teardown(() => client.dispose());
  const closed = new Promise<{ code: number }>((resolve) => client.on('closed', (event) => resolve(event as { code: number })));
  const subscribed = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  client.subscribe({ query: 'subscription { events { id topic } }' }, { next: () => {}, error: () => {}, complete: () => {} });
  return { closed, subscribed };
}

async function world(t: Parameters<typeof startWorld>[0]) {
  const w = await startWorld(t, { plugins: [examplePlugin] });
  const second = await startTestKernel(t, { databaseUrl: w.kernel.database.url, plugins: [examplePlugin], env: { ITOPS_JWT_SECRET: jwtSecret } });
  return { ...w, second };
}

t.test('revoking an API key closes its SSE streams and graphql-ws connections on every node', async (t) => {
  const { kernel, second, acmeAdmin } = await world(t);
  const key = (await call(kernel, 'POST', '/api/v1/apikeys', { headers: acmeAdmin.headers, body: { name: 'dashboard', scope: 'read' } })).json;
  const keep = (await call(kernel, 'POST', '/api/v1/apikeys', { headers: acmeAdmin.headers, body: { name: 'other', scope: 'read' } })).json;
  const here = await openStream(t, kernel, { 'x-api-key': key.api_key });
  const there = await openStream(t, second, { 'x-api-key': key.api_key });
  const untouched = await openStream(t, second, { 'x-api-key': keep.api_key });
  const socket = openSubscription(t, second, { apiKey: key.api_key });
  await within(socket.subscribed, 'the subscription connecting');

  t.equal((await call(kernel, 'DELETE', `/api/v1/apikeys/${key.key_id}`, { headers: acmeAdmin.headers })).status, 204);
  t.equal(await within(here.ended, 'the stream on the revoking node ending'), true, 'the stream on the revoking node ends');
  t.equal(await within(there.ended, 'the stream on the other node ending'), true, 'the stream on the other node ends');
  t.equal((await within(socket.closed, 'the socket closing')).code, 4401, 'the graphql-ws connection is closed as unauthorized');

  await call(kernel, 'POST', '/api/v1/example/scores', { headers: acmeAdmin.headers, body: { label: 'after', values: [1] } });
  await within(
    (async () => {
      while (!untouched.state.text.includes('example.scored')) await new Promise((resolve) => setTimeout(resolve, 100));
    })(),
    'the other key’s stream receiving an event',
  );
  t.pass('another key’s stream keeps delivering');
});

t.test('removing or demoting a member and logging out close that member’s streams', async (t) => {
  const { kernel, second, acmeAdmin, acmeOps, acmeViewer } = await world(t);
  const opsStream = await openStream(t, second, acmeOps.headers);
  const opsSocket = openSubscription(t, second, { authorization: acmeOps.headers.authorization });
  const viewerSocket = openSubscription(t, kernel, { authorization: acmeViewer.headers.authorization });
  const viewerStream = await openStream(t, second, acmeViewer.headers);
  await within(opsSocket.subscribed, 'connecting');
  await within(viewerSocket.subscribed, 'connecting');

  t.equal((await call(kernel, 'PUT', `/api/v1/members/${acmeOps.id}`, { headers: acmeAdmin.headers, body: { role: 'billing' } })).status, 200);
  t.equal(await within(opsStream.ended, 'the demoted member’s stream ending'), true, 'a demoted member’s stream ends');
  t.equal((await within(opsSocket.closed, 'the demoted member’s socket closing')).code, 4403, 'their socket closes to be authorized again');
  const reopened = await fetch(`${second.url}/api/v1/events/stream`, { headers: acmeOps.headers });
  t.equal(reopened.status, 403, 'reconnecting, the stream is refused: billing may not read events');
  await reopened.body?.cancel();

  t.equal((await call(kernel, 'POST', '/api/v1/auth/logout', { body: { refreshToken: acmeViewer.refreshToken } })).status, 204);
  t.equal(await within(viewerStream.ended, 'the logged-out stream ending'), true, 'logging out ends the session’s stream');
  t.equal((await within(viewerSocket.closed, 'the logged-out socket closing')).code, 4401, 'and its socket');

  const adminStream = await openStream(t, second, acmeAdmin.headers);
  t.equal((await call(kernel, 'DELETE', `/api/v1/members/${acmeAdmin.id}`, { headers: acmeAdmin.headers })).status, 204);
  t.equal(await within(adminStream.ended, 'the removed member’s stream ending'), true, 'a removed member’s stream ends');
});

t.test('demoting a key’s creator below the key closes the key’s streams', async (t) => {
  const { kernel, second, admin, acmeAdmin } = await world(t);
  const body = { email: 'ian@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'integration_admin' }] };
  t.equal((await call(kernel, 'POST', '/api/v1/users', { headers: admin.headers, body })).status, 201);
  const ian = await login(kernel, 'ian@acme.test', memberPassword);
  const key = (await call(kernel, 'POST', '/api/v1/apikeys', { headers: ian.headers, body: { name: 'integration', scope: 'integration_admin' } })).json;
  const stream = await openStream(t, second, { 'x-api-key': key.api_key });
  const socket = openSubscription(t, second, { apiKey: key.api_key });
  await within(socket.subscribed, 'connecting');

  t.equal((await call(kernel, 'PUT', `/api/v1/members/${ian.id}`, { headers: acmeAdmin.headers, body: { role: 'viewer' } })).status, 200);
  t.equal(await within(stream.ended, 'the key’s stream ending'), true, 'the key’s stream ends on the other node');
  t.equal((await within(socket.closed, 'the key’s socket closing')).code, 4401, 'its socket is closed as unauthorized');
});
