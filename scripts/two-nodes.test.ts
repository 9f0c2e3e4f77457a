import { createClient } from 'graphql-ws';
import t from 'tap';
import WebSocket from 'ws';
import { eventually } from '../core/testing/eventually.ts';
import { startReceiver } from '../core/testing/http-receiver.ts';
import { startEarlyInMinute } from '../core/testing/rate-window.ts';
import { acmeWorkspace, startCluster } from './two-nodes.testkit.ts';

/**
 * The docker-compose topology without containers: the production build (`npm run build`, run with
 * plain node, no tsx) as two nodes on one PostgreSQL and one data directory, and a client that
 * sends each request to the next node in turn, as the proxy does. What a user of the pair sees must
 * be what one node gives: sessions, idempotent retries, rate limits, live events and scheduled
 * work run once across nodes, and a node killed with SIGKILL loses no ping it acknowledged.
 */

type Json = any;
const intervalSeconds = 10;
// A build, two node starts and half a minute of scheduled checks: more than tap's default on a busy machine.
t.setTimeout(300_000);

t.test('two nodes of the production build behind a round-robin client', async (t) => {
  const cluster = await startCluster(t, {
    plugins: ['containers'],
    // Endpoint checks may reach the test's own target on loopback.
    env: { ITOPS_CONTAINERS_ENDPOINT_PRIVATE_NETWORKS: '127.0.0.0/8' },
  });
  if (!cluster) return;
  const { nodes, send } = cluster;
  const [a, b] = nodes;
  t.notMatch(a.child.spawnargs.join(' '), /tsx/, 'the nodes run compiled JavaScript');

  for (const node of nodes) t.equal((await fetch(`${node.url}/ready`)).status, 200, `${node.url} is ready`);

  const acme = await acmeWorkspace(t, cluster);
  const { token } = acme;

  // Scheduled work runs on both nodes' periodic runners; each endpoint's check slot must run once.
  // The checks run while the rest of the test goes on, and are counted before A is killed.
  const target = await startReceiver(t);
  const endpoints: Json[] = [];
  for (const name of ['api', 'web', 'db']) {
    const created = await send('POST', '/api/v1/endpoints', { ...acme, body: { name, url: target.url(`/${name}`), intervalSeconds, timeoutSeconds: 2 } });
    t.equal(created.status, 201, created.text);
    endpoints.push(created.json);
  }

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
  await startEarlyInMinute(40_000);
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 12; attempt++)
    statuses.push((await send('POST', '/api/v1/auth/login', { body: { email: 'olivia@acme.test', password: 'wrong password here' } })).status);
  t.ok(statuses.includes(429), `the account's login limit holds across nodes (${statuses.join(' ')})`);
  t.ok(statuses.indexOf(429) <= 10, 'and is reached as soon as on one node');

  // Every check slot that passed ran once, not once per node: the target saw as many requests as
  // slots began since each endpoint was created (plus its first check, due at once), each recorded
  // once. Counted at a moment the requests seen and the results recorded agree (no check in flight).
  const createdAt = Math.max(...endpoints.map((endpoint) => Date.parse(endpoint.createdAt)));
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, createdAt + 3 * intervalSeconds * 1000 - Date.now())));
  const hits = (endpoint: Json) => target.received.filter((r) => r.path === new URL(endpoint.url).pathname).length;
  const settled = await eventually(async () => {
    const recorded = await Promise.all(endpoints.map(async (e) => (await send('GET', `/api/v1/endpoints/${e.id}/checks?limit=100`, acme)).json.page.total));
    const seen = endpoints.map(hits);
    return recorded.every((count, i) => count === seen[i]) ? { seen, at: Date.now() } : undefined;
  }, 30_000);
  t.ok(settled, 'each check that reached the target was recorded once');
  for (const [i, endpoint] of endpoints.entries()) {
    if (!settled) break;
    const { json } = await send('GET', `/api/v1/endpoints/${endpoint.id}`, acme);
    const phase = (Date.parse(json.nextCheckAt) / 1000) % intervalSeconds;
    /** Slots (phase + k × interval) that began after the endpoint was created and by `until`. */
    const slots = (until: number) =>
      Math.max(0, Math.floor((until / 1000 - phase) / intervalSeconds) - Math.floor((Date.parse(endpoint.createdAt) / 1000 - phase) / intervalSeconds));
    const ran = settled.seen[i];
    // Never more checks than slots: no slot ran on both nodes. A runner held up past a slot (CI's
    // saturated CPU did that) runs the check late, once, and does not catch up, so fewer may have run.
    const most = 1 + slots(settled.at);
    t.ok(ran >= 2 && ran <= most, `${endpoint.name}: ${ran} checks for at most ${most} ticks, each run once`);
    t.ok(1 + slots(settled.at - intervalSeconds * 1000) >= 3, `${endpoint.name}: several ticks observed`);
  }

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
