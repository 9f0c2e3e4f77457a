import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { startTestServer } from '../core/plugin-api/testing.ts';
import { createContainersPlugin } from '../plugins/containers/plugin.ts';
import { createItopsClient, type Heartbeat, ItopsApiError, ok, paginate, ping, streamEvents } from './index.ts';

/** A live server with heartbeats, a workspace and a member of it whose password the SDK signs in with. */
async function world(t: Test) {
  const server = await startTestServer(t, { plugins: [createContainersPlugin()] });
  await server.activateLicense({ plugins: ['containers'] });
  const workspace = `sdk-${randomBytes(3).toString('hex')}`;
  const email = `ops@${workspace}.test`;
  const password = 'sdk test password 123';
  // loginAs creates the workspace too: a signed-in member for the tests that do not sign in themselves.
  const signedIn = await server.loginAs('ops_engineer', workspace);
  const admin = createItopsClient({ baseUrl: server.url, token: server.admin.token });
  await ok(admin.POST('/api/v1/users', { body: { email, password, memberships: [{ tenantId: workspace, role: 'ops_engineer' }] } }));
  return { server, workspace, email, password, signedIn };
}

/** A fetch that records what the SDK sends and can answer the first matching requests itself (a proxy's 503, say). */
function recordingFetch(inject: (request: Request, seen: number) => Response | undefined = () => undefined) {
  const seen: { method: string; path: string; headers: Headers; body: string }[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const copy = request.clone();
    seen.push({ method: request.method, path: new URL(request.url).pathname, headers: new Headers(request.headers), body: await copy.text() });
    return inject(request, seen.length) ?? globalThis.fetch(request);
  };
  return { fetch, seen };
}

t.test('signs in, creates and lists typed items page by page, and throws typed errors', async (t) => {
  const { server, workspace, email, password } = await world(t);
  const itops = createItopsClient({ baseUrl: server.url, workspaceId: workspace });
  const session = await itops.login(email, password);
  t.ok(session.token && session.refreshToken, 'login keeps the tokens');

  for (const name of ['backup', 'cleanup', 'report']) await ok(itops.POST('/api/v1/heartbeats', { body: { name, periodSeconds: 3600 } }));
  const names: string[] = [];
  for await (const heartbeat of paginate((offset, limit) => ok(itops.GET('/api/v1/heartbeats', { params: { query: { offset, limit } } })), { limit: 2 }))
    names.push(heartbeat.name);
  t.same(names.sort(), ['backup', 'cleanup', 'report'], 'paginate walks every page; items are typed Heartbeat');
  const firstPage = await ok(itops.GET('/api/v1/heartbeats', { params: { query: { limit: 2 } } }));
  t.same(
    firstPage.data.map((heartbeat: Heartbeat) => typeof heartbeat.pingUrl),
    ['string', 'string'],
  );

  const missing = await ok(itops.GET('/api/v1/heartbeats/{id}', { params: { path: { id: '00000000-0000-4000-8000-000000000000' } } })).catch((e: unknown) => e);
  t.ok(missing instanceof ItopsApiError, 'a 404 rejects with ItopsApiError');
  t.match(missing, { status: 404, code: 'not_found', correlationId: /\S/ });
  const invalid = await ok(itops.POST('/api/v1/heartbeats', { body: { name: '', periodSeconds: -1 } })).catch((e: unknown) => e);
  t.match(invalid, { status: 400, code: 'validation_failed', details: Array }, 'bad input: the standard error body, typed');
});

t.test('a session refreshes before it expires and once after a 401', async (t) => {
  const { server, workspace, email, password } = await world(t);
  const { fetch, seen } = recordingFetch();
  const stored: unknown[] = [];
  const itops = createItopsClient({ baseUrl: server.url, workspaceId: workspace, fetch, onSession: (s) => stored.push(s) });
  const first = await itops.login(email, password);

  itops.auth.session!.expiresAt = Date.now() + 1000;
  await ok(itops.GET('/api/v1/heartbeats'));
  t.same(
    seen.slice(1).map((r) => r.path),
    ['/api/v1/auth/refresh', '/api/v1/heartbeats'],
    'an expiring token is refreshed first',
  );
  t.not(itops.auth.session!.token, first.token, 'with a new token');
  t.equal(stored.length, 2, 'onSession hears of the login and the refresh');

  seen.length = 0;
  itops.auth.session!.token = 'not-a-valid-token';
  await ok(itops.GET('/api/v1/heartbeats'));
  t.same(
    seen.map((r) => r.path),
    ['/api/v1/heartbeats', '/api/v1/auth/refresh', '/api/v1/heartbeats'],
    'a 401 refreshes and retries once',
  );
});

t.test('a mutation keeps its Idempotency-Key across retries; 429 and 503 wait for Retry-After', async (t) => {
  const { server, workspace, signedIn } = await world(t);
  const { fetch, seen } = recordingFetch((request, n) =>
    request.method === 'POST' && n === 1
      ? new Response(JSON.stringify({ error: { code: 'unavailable', message: 'proxy restarting', correlationId: 'x' } }), {
          status: 503,
          headers: { 'content-type': 'application/json', 'retry-after': '0' },
        })
      : undefined,
  );
  const itops = createItopsClient({ baseUrl: server.url, token: signedIn.token, workspaceId: workspace, fetch });
  const created = await ok(itops.POST('/api/v1/heartbeats', { body: { name: 'nightly', periodSeconds: 600 } }));
  t.equal(created.name, 'nightly', 'the retry went through');
  t.equal(seen.length, 2);
  const [firstKey, secondKey] = seen.map((r) => r.headers.get('idempotency-key'));
  t.match(firstKey, /^[0-9a-f-]{36}$/, 'a generated key');
  t.equal(secondKey, firstKey, 'the same key on the retry');
  t.equal(seen[0].headers.get('x-workspace-id'), workspace);

  // The server keeps the first answer under the key: the same request again is a replay, not a second heartbeat.
  const replay = await itops.POST('/api/v1/heartbeats', { body: { name: 'nightly', periodSeconds: 600 }, headers: { 'idempotency-key': firstKey! } });
  t.equal(replay.response.headers.get('idempotent-replayed'), 'true');
  t.equal((await ok(itops.GET('/api/v1/heartbeats'))).page.total, 1, 'one heartbeat');

  // An earlier attempt still running: the server answers 409 with Retry-After, and the SDK waits for the stored answer.
  let first = true;
  const waiting = createItopsClient({
    baseUrl: server.url,
    token: signedIn.token,
    workspaceId: workspace,
    fetch: async (request) => {
      if (!first) return globalThis.fetch(request);
      first = false;
      return new Response(JSON.stringify({ error: { code: 'conflict', message: 'still being processed', correlationId: 'z' } }), {
        status: 409,
        headers: { 'content-type': 'application/json', 'retry-after': '0' },
      });
    },
  });
  const afterConflict = await ok(waiting.POST('/api/v1/heartbeats', { body: { name: 'weekly', periodSeconds: 600 } }));
  t.equal(afterConflict.name, 'weekly', 'a 409 in progress is retried');

  const patient = createItopsClient({
    baseUrl: server.url,
    token: signedIn.token,
    workspaceId: workspace,
    maxDelayMs: 5000,
    fetch: async () =>
      new Response(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down', correlationId: 'y' } }), {
        status: 429,
        headers: { 'retry-after': '60' },
      }),
  });
  const limited = await ok(patient.GET('/api/v1/heartbeats')).catch((e: unknown) => e);
  t.match(limited, { status: 429, code: 'rate_limited', retryAfterSeconds: 60 }, 'a Retry-After beyond maxDelayMs is not waited for');
});

t.test('raw-body pings go out with the caller’s content type and are stored as sent', async (t) => {
  const { server, workspace, signedIn } = await world(t);
  const { fetch, seen } = recordingFetch();
  const itops = createItopsClient({ baseUrl: server.url, token: signedIn.token, workspaceId: workspace, fetch });
  const heartbeat = await ok(itops.POST('/api/v1/heartbeats', { body: { name: 'raw', periodSeconds: 600 } }));

  await ok(itops.POST('/ping/{uuid}', { params: { path: { uuid: heartbeat.uuid } }, body: 'backup finished', headers: { 'content-type': 'text/plain' } }));
  await ping(itops, heartbeat.uuid, { kind: 'log', body: '{"step":1}\n{"step":2}\n', contentType: 'application/x-ndjson' });
  const pings = seen.filter((r) => r.path.startsWith('/ping/'));
  t.same(
    pings.map((r) => r.headers.get('content-type')),
    ['text/plain', 'application/x-ndjson'],
    'the content type the caller named, not */*',
  );
  t.notOk(pings[0].headers.get('authorization'), 'pings go without credentials');
  const stored = await ok(itops.GET('/api/v1/heartbeats/{id}/pings', { params: { path: { id: heartbeat.id } } }));
  t.same(stored.data.map((p) => p.body).sort(), ['backup finished', '{"step":1}\n{"step":2}\n'], 'bodies stored as sent, not JSON-encoded');
});

t.test('the event stream is typed by topic', async (t) => {
  const { server, workspace, signedIn } = await world(t);
  const itops = createItopsClient({ baseUrl: server.url, token: signedIn.token, workspaceId: workspace });
  const heartbeat = await ok(itops.POST('/api/v1/heartbeats', { body: { name: 'streamed', periodSeconds: 600 } }));
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  await ping(itops, heartbeat.uuid);
  // From the start of the outbox (Last-Event-ID 0), so the ping is there whether it commits before or after the stream opens.
  const events = streamEvents(itops, { topics: ['heartbeat.pinged'], lastEventId: '0', signal: controller.signal });
  const { value } = await events.next();
  t.equal(value?.topic, 'heartbeat.pinged');
  t.equal(value?.payload.heartbeatId, heartbeat.id, 'payload typed as the heartbeat.pinged schema');
  t.equal(value?.payload.status, 'up');
  controller.abort();
});
