import { randomBytes } from 'node:crypto';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import t from 'tap';
import WebSocket from 'ws';
import { eventually } from '../testing/eventually.ts';
import { startReceiver } from '../testing/http-receiver.ts';
import { adminEmail, adminPassword, jwtSecret, memberPassword } from '../testing/identity-fixtures.ts';
import { startServerProcess } from '../testing/server-process.ts';
import { cloneTestDatabase } from '../testing/test-database.ts';

/**
 * Two real server processes (what `npm start` runs) share one PostgreSQL database, as two nodes of
 * a cluster do. Node A loads the example plugin, node B does not: only A can run the job that
 * commits `example.scored`, so the event below is provably committed on A, and B hears of it only
 * through the database. Both nodes run the webhook delivery workers and both queue deliveries for
 * every event they hear of, so the receiver getting exactly one POST shows the claim works across
 * processes.
 */

type Json = any;

async function request(base: string, method: string, path: string, options: { body?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as Json, text };
}

async function expectStatus(base: string, status: number, method: string, path: string, options: { body?: unknown; token?: string } = {}) {
  const response = await request(base, method, path, options);
  if (response.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${response.status} ${response.text}`);
  return response.json;
}

const login = async (base: string, email: string, password: string): Promise<string> =>
  (await expectStatus(base, 200, 'POST', '/api/v1/auth/login', { body: { email, password } })).token;

const wsUrl = (url: string) => `${url.replace('http', 'ws')}/graphql/ws`;
const eventsQuery = 'subscription { events(topics: ["example.scored"]) { id topic tenantId payload createdAt } }';

t.test('an event committed on one server process reaches the other; its webhook is delivered once', async (t) => {
  const started = Date.now();
  const database = await cloneTestDatabase();
  // Teardowns run last-registered first: the servers stop before their database is dropped.
  t.teardown(() => database.drop());
  const receiver = await startReceiver(t);

  const shared = {
    DATABASE_URL: database.url,
    ITOPS_JWT_SECRET: jwtSecret,
    // Nodes share the master key, as they must in production: webhook signing secrets are sealed with it.
    ITOPS_MASTER_KEY: randomBytes(32).toString('base64'),
    ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true',
  };
  // Only A bootstraps the first admin: two nodes booting at once against an empty user table would race to create it.
  const [a, b] = await Promise.all([
    startServerProcess(t, {
      ...shared,
      ITOPS_PLUGINS: './core/testing/example-plugin',
      ITOPS_ADMIN_EMAIL: adminEmail,
      ITOPS_ADMIN_PASSWORD: adminPassword,
    }),
    startServerProcess(t, { ...shared, ITOPS_PLUGINS: '' }),
  ]);
  // Stop both at once (each also stops itself when the test ends); on failure, show what they wrote.
  t.teardown(async () => {
    await Promise.all([a.stop(), b.stop()]);
    if (t.passing()) return;
    for (const [name, node] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const { stdout, stderr } = node.output();
      t.comment(`server ${name} stdout:\n${stdout}\nserver ${name} stderr:\n${stderr}`);
    }
  });
  t.not(a.child.pid, b.child.pid, 'two OS processes');
  t.not(a.url, b.url, 'listening on two ports');
  t.comment(`A ${a.url} (pid ${a.child.pid}), B ${b.url} (pid ${b.child.pid}), both up after ${Date.now() - started} ms`);

  // Tenants and users, created through A's REST API as an operator would.
  const admin = await login(a.url, adminEmail, adminPassword);
  for (const [tenant_id, name] of [
    ['acme', 'Acme Corporation'],
    ['globex', 'Globex'],
  ]) {
    await expectStatus(a.url, 201, 'POST', '/api/v1/tenants', { token: admin, body: { tenant_id, name, plan: 'pro' } });
  }
  for (const [email, tenantId] of [
    ['alice@acme.test', 'acme'],
    ['gina@globex.test', 'globex'],
  ]) {
    await expectStatus(a.url, 201, 'POST', '/api/v1/users', {
      token: admin,
      body: { email, password: memberPassword, memberships: [{ tenantId, role: 'msp_admin' }] },
    });
  }
  // Tokens issued by A are good on B: the nodes share the signing secret and the user table.
  const acme = await login(a.url, 'alice@acme.test', memberPassword);
  const globex = await login(b.url, 'gina@globex.test', memberPassword);

  const hook = await expectStatus(a.url, 201, 'POST', '/api/v1/webhooks', {
    token: acme,
    body: { url: receiver.url('/hook'), topics: ['example.scored'], description: 'two processes' },
  });

  // Subscribers of both workspaces on B.
  const connect = (token: string) =>
    createClient({ url: wsUrl(b.url), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${token}` } });
  const acmeClient = connect(acme);
  const globexClient = connect(globex);
  t.teardown(async () => {
    await acmeClient.dispose();
    await globexClient.dispose();
  });
  await Promise.all(
    [acmeClient, globexClient].map(
      (client) =>
        new Promise<void>((resolve, reject) => {
          client.on('connected', () => resolve());
          client.on('closed', (event) => reject(new Error(`subscription socket closed: ${JSON.stringify(event)}`)));
        }),
    ),
  );
  const globexSeen: unknown[] = [];
  globexClient.subscribe({ query: eventsQuery }, { next: (m) => globexSeen.push(m), error: (e) => globexSeen.push(e), complete: () => {} });
  const acmeReceived = new Promise<Json>((resolve, reject) => {
    acmeClient.subscribe({ query: eventsQuery }, { next: (m) => resolve(m), error: reject, complete: () => {} });
  });
  await new Promise((resolve) => setTimeout(resolve, 500));

  t.equal(
    (await request(b.url, 'POST', '/api/v1/example/scores', { token: acme, body: { label: 'nowhere', values: [1] } })).status,
    404,
    'B does not serve the example plugin (nor run its job)',
  );
  // The REST call on A: its job (only A runs it) commits the score and its event together.
  const scored = await expectStatus(a.url, 202, 'POST', '/api/v1/example/scores', { token: acme, body: { label: 'across', values: [3, 4] } });
  t.equal(scored.score, 25);

  let timer: NodeJS.Timeout | undefined;
  const received = await Promise.race([
    acmeReceived,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no event reached the subscriber on B within 15 s')), 15_000);
    }),
  ]).finally(() => clearTimeout(timer));
  t.notOk(received.errors, 'no GraphQL errors');
  const event = received.data.events;
  t.match(
    event,
    { id: String, topic: 'example.scored', tenantId: 'acme', payload: { label: 'across', score: 25 }, createdAt: String },
    "acme's subscriber on B got the event",
  );

  // The webhook: wait for the first POST of this event, then for every delivery job queued for it to settle.
  const posts = () => receiver.received.filter((r) => r.method === 'POST' && JSON.parse(r.body).eventId === event.id);
  t.ok(await eventually(async () => (posts().length > 0 ? true : undefined), 15_000), 'the receiver got a POST for the event');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  t.teardown(() => client.end());
  const [delivery] = (await client.query('SELECT id FROM webhook_delivery WHERE event_id = $1', [event.id])).rows;
  const jobs = await eventually(async () => {
    const rows = (await client.query("SELECT state FROM pgboss.job WHERE name = 'core.webhook-deliver' AND data->>'deliveryId' = $1", [String(delivery.id)]))
      .rows as { state: string }[];
    return rows.length > 0 && rows.every((r) => r.state === 'completed') ? rows : undefined;
  }, 15_000);
  t.ok(jobs, 'every delivery job queued for the delivery completed');
  t.comment(`${jobs?.length} delivery job(s) were queued for the one delivery (every node that hears of the event queues one; the claim lets one send)`);
  // Anything still to come (a second job picked up late, a sweep) would arrive within this pause.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  t.equal(posts().length, 1, 'the receiver got exactly one POST for the event');
  t.equal(posts()[0].path, '/hook');
  t.match(JSON.parse(posts()[0].body), { type: 'example.scored', eventId: event.id, data: { label: 'across', score: 25 } });

  // Either node tells the same history: one successful delivery.
  for (const node of [a, b]) {
    const deliveries = await expectStatus(node.url, 200, 'GET', `/api/v1/webhooks/${hook.id}/deliveries`, { token: acme });
    t.match(
      deliveries.data,
      [{ eventId: event.id, topic: 'example.scored', status: 'delivered', attempts: 1, lastStatusCode: 200 }],
      `one successful delivery, as ${node === a ? 'A' : 'B'} reports it`,
    );
    t.equal(deliveries.data.length, 1);
  }

  t.same(globexSeen, [], "globex's subscriber on B never saw acme's event");
  const logs = [a, b].map((node) => node.output().stdout + node.output().stderr).join('\n');
  t.notMatch(logs, /"level":(50|60)|job queue error|itops failed/, 'neither server logged an error');
  t.comment(`took ${Date.now() - started} ms`);
});
