import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import t from 'tap';
import WebSocket from 'ws';
import { adminEmail, adminPassword, jwtSecret, memberPassword } from '../core/testing/identity-fixtures.ts';
import { startServerProcess } from '../core/testing/server-process.ts';
import { cloneTestDatabase } from '../core/testing/test-database.ts';

/**
 * The docker-compose topology without containers: the production build (`npm run build`, run with
 * plain node, no tsx) as two nodes on one PostgreSQL and one data directory, and a client that
 * sends each request to the next node in turn, as the proxy does. What a user of the pair sees must
 * be what one node gives: sessions, idempotent retries, rate limits and live events work across
 * nodes, and a node killed with SIGKILL loses no ping it acknowledged.
 */

type Json = any;
const enabled = 'containers';

t.test('two nodes of the production build behind a round-robin client', async (t) => {
  const buildDir = path.join('.test-data', `build-${process.pid}`);
  t.teardown(() => rm(buildDir, { recursive: true, force: true }));
  // Outside the test runner's hooks (its NODE_OPTIONS and process-info variables would load into the compiler).
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(NODE_OPTIONS|TAP|_TAPJS)/.test(name)));
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out', buildDir], { encoding: 'utf8', env });
  t.equal(built.status, 0, `npm run build succeeds: ${built.stdout}${built.stderr}`);
  if (built.status !== 0) return;

  const database = await cloneTestDatabase();
  t.teardown(() => database.drop());
  // Shared, as the compose file's volume is: artifacts written by one node are served by the other.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'itops-two-nodes-'));
  t.teardown(() => rm(dataDir, { recursive: true, force: true }));
  const disabled = readdirSync('plugins')
    .filter((id) => id !== enabled)
    .join(',');
  const shared = { DATABASE_URL: database.url, ITOPS_JWT_SECRET: jwtSecret, ITOPS_DISABLED_PLUGINS: disabled, ITOPS_PLUGINS: '' };
  const options = { entry: path.join(buildDir, 'core/main.js'), firstParty: true, dataDir, startTimeoutMs: 60_000 };
  // Only A bootstraps the first admin (two empty nodes would race to create it); B starts once A is up.
  const a = await startServerProcess(t, { ...shared, ITOPS_ADMIN_EMAIL: adminEmail, ITOPS_ADMIN_PASSWORD: adminPassword }, options);
  const b = await startServerProcess(t, shared, options);
  t.teardown(async () => {
    await Promise.all([a.stop(), b.stop()]);
    if (!t.passing()) for (const node of [a, b]) t.comment(`${node.url}:\n${node.output().stdout}\n${node.output().stderr}`);
  });
  t.notMatch(a.child.spawnargs.join(' '), /tsx/, 'the nodes run compiled JavaScript');

  let turn = 0;
  const nodes = [a, b];
  /** The proxy: each request to the next node. */
  const send = async (method: string, route: string, init: { body?: unknown; token?: string; headers?: Record<string, string>; node?: number } = {}) => {
    const node = nodes[init.node ?? turn++ % nodes.length];
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${node.url}${route}`, { method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await response.text();
    let json: Json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  };

  for (const node of nodes) t.equal((await fetch(`${node.url}/ready`)).status, 200, `${node.url} is ready`);

  const admin = (await send('POST', '/api/v1/auth/login', { body: { email: adminEmail, password: adminPassword } })).json.token;
  t.equal((await send('POST', '/api/v1/tenants', { token: admin, body: { tenant_id: 'acme', name: 'Acme', plan: 'pro' } })).status, 201);
  const user = await send('POST', '/api/v1/users', {
    token: admin,
    body: { email: 'olivia@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'msp_admin' }] },
  });
  t.equal(user.status, 201, user.text);
  const token = (await send('POST', '/api/v1/auth/login', { body: { email: 'olivia@acme.test', password: memberPassword } })).json.token;
  const acme = { token, headers: { 'x-workspace-id': 'acme' } };

  // An idempotent retry that lands on the other node answers the first answer and creates nothing new.
  const key = 'two-nodes-create-1';
  const first = await send('POST', '/api/v1/heartbeats', { ...acme, headers: { ...acme.headers, 'idempotency-key': key }, body: { name: 'backup' }, node: 0 });
  const retried = await send('POST', '/api/v1/heartbeats', {
    ...acme,
    headers: { ...acme.headers, 'idempotency-key': key },
    body: { name: 'backup' },
    node: 1,
  });
  t.equal(first.status, 201, first.text);
  t.equal(retried.status, 201);
  t.equal(retried.json.id, first.json.id, 'the retry on B answers what A created');
  t.equal((await send('GET', '/api/v1/heartbeats', acme)).json.page.total, 1, 'one heartbeat');
  const heartbeat = first.json;

  // A subscriber on B hears a ping sent to A.
  const client = createClient({
    url: `${b.url.replace('http', 'ws')}/graphql/ws`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}`, 'x-workspace-id': 'acme' },
  });
  t.teardown(() => client.dispose());
  const heard = new Promise<Json>((resolve, reject) => {
    client.subscribe(
      { query: 'subscription { events(topics: ["heartbeat.pinged"]) { topic tenantId payload } }' },
      { next: (message) => resolve(message), error: reject, complete: () => {} },
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.equal((await fetch(`${a.url}/ping/${heartbeat.uuid}`)).status, 200);
  let timer: NodeJS.Timeout | undefined;
  const event = await Promise.race([
    heard,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no heartbeat.pinged reached the subscriber on B within 15 s')), 15_000);
    }),
  ]).finally(() => clearTimeout(timer));
  t.match(event, { data: { events: { topic: 'heartbeat.pinged', tenantId: 'acme' } } }, 'the event crossed from A to B');

  // Failed logins count across nodes: alternating between them does not double the allowance.
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 12; attempt++)
    statuses.push((await send('POST', '/api/v1/auth/login', { body: { email: 'olivia@acme.test', password: 'wrong password here' } })).status);
  t.ok(statuses.includes(429), `the account's login limit holds across nodes (${statuses.join(' ')})`);
  t.ok(statuses.indexOf(429) <= 10, 'and is reached as soon as on one node');

  // SIGKILL during ingest: every ping A acknowledged is stored (B reads them back).
  let acknowledged = 0;
  let stop = false;
  const pinger = (async () => {
    while (!stop) {
      try {
        const response = await fetch(`${a.url}/ping/${heartbeat.uuid}`, { method: 'POST', body: 'tick' });
        if (response.status === 200) acknowledged++;
      } catch {
        return;
      }
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  a.child.kill('SIGKILL');
  stop = true;
  await pinger;
  t.ok(acknowledged > 0, `A acknowledged ${acknowledged} pings before it was killed`);
  const stored = await send('GET', `/api/v1/heartbeats/${heartbeat.id}`, { ...acme, node: 1 });
  t.ok(stored.json.pingCount >= acknowledged + 1, `B counts ${stored.json.pingCount} pings: none acknowledged was lost`);
  t.equal((await fetch(`${b.url}/ready`)).status, 200, 'B serves on alone');
});
