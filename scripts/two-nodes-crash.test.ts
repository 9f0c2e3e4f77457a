import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { eventually } from '../core/testing/eventually.ts';
import { acmeWorkspace, type Cluster, type Reply, request, startCluster } from './two-nodes.testkit.ts';

/**
 * Nodes of the production build killed with SIGKILL while they work (issue 22): a workflow
 * execution in flight on the killed node is finished by the other, and sustained ingest (operator
 * syncs, telemetry batches with Idempotency-Key) through a round-robin client loses nothing that
 * either node acknowledged, however the kill falls. What is checked is what users see: executions,
 * services and ingest batches read back through the API of the node that is left.
 */

type Json = any;

// A build, three node starts and, in the worst case, a periodic lease the killed node held (a minute);
// on a shared machine under load, each node start alone can take a minute.
t.setTimeout(420_000);

/** The workflow's endpoints; the first call to /sync never answers (the node making it is killed meanwhile). */
async function stepTarget(t: Test) {
  const received: string[] = [];
  let held = false;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(req.url as string);
      if (req.url === '/sync' && !held) {
        held = true;
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, count: (path: string) => received.filter((p) => p === path).length };
}

t.test('nodes of the production build killed with SIGKILL while they work', async (t) => {
  const cluster = await startCluster(t, {
    plugins: ['sla', 'aiops', 'automation'],
    env: {
      // Workflow steps call the test's target on loopback.
      ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true',
      // A dead node's execution is taken over a second after its step's deadline.
      ITOPS_AUTOMATION_LEASE_SECONDS: '1',
      ITOPS_AUTOMATION_RESUME_AFTER_SECONDS: '1',
      ITOPS_AUTOMATION_SWEEP_INTERVAL_MS: '500',
    },
  });
  if (!cluster) return;
  const acme = await acmeWorkspace(t, cluster);
  await t.test('a workflow execution in flight on a killed node is finished by the other', (t) => inFlightExecution(t, cluster, acme));
  await t.test('SIGKILL during operator syncs and telemetry ingest loses no acknowledged write', (t) => ingestCrash(t, cluster, acme));
});

async function inFlightExecution(t: Test, cluster: Cluster, acme: { token: string; headers: Record<string, string> }) {
  const { send, nodes } = cluster;
  const target = await stepTarget(t);
  const write = (route: string, body?: unknown) =>
    send('POST', route, { ...acme, headers: { ...acme.headers, 'idempotency-key': `${route}-${Math.random()}` }, body, node: 0 });
  const workflow = await write('/api/v1/workflows', {
    name: 'Charge then sync',
    trigger: { type: 'manual' },
    steps: [
      { id: 'charge', type: 'HTTP_REQUEST', method: 'POST', url: `${target.url}/charge` },
      { id: 'sync', type: 'HTTP_REQUEST', url: `${target.url}/sync`, retrySafe: true, timeoutMs: 5000 },
      { id: 'receipt', type: 'HTTP_REQUEST', method: 'POST', url: `${target.url}/receipt` },
    ],
  });
  t.equal(workflow.status, 201, workflow.text);
  // B is paused while the execution starts, so A is the node that takes its job.
  const [a, b] = nodes;
  b.child.kill('SIGSTOP');
  const run = await write(`/api/v1/workflows/${workflow.json.id}/run`);
  t.equal(run.status, 202, run.text);
  const midStep = await eventually(() => (target.count('/sync') === 1 ? true : undefined), 60_000);
  b.child.kill('SIGCONT');
  t.ok(midStep, 'A is mid-step');
  a.child.kill('SIGKILL');
  await a.stop();
  t.equal((await fetch(`${b.url}/ready`)).status, 200, 'B serves on');

  const execution = `/api/v1/workflow-executions/${run.json.id}`;
  // The killed node may have held the resume sweep's periodic lease (a minute at least): B takes it over once it ends.
  const settled = await eventually(async () => {
    const { json } = await send('GET', execution, { ...acme, node: 1 });
    return ['succeeded', 'failed', 'cancelled'].includes(json?.status) ? json : undefined;
  }, 120_000);
  t.match(settled, { status: 'succeeded', failureCode: null }, 'B finished the execution A was running');
  t.same(
    settled?.steps.map((s: Json) => [s.stepId, s.status, s.attempt]),
    [
      ['charge', 'succeeded', 1],
      ['sync', 'interrupted', 1],
      ['sync', 'succeeded', 2],
      ['receipt', 'succeeded', 1],
    ],
    'the interrupted retry-safe step ran again on B, and the steps after it',
  );
  t.equal(target.count('/charge'), 1, 'the step that is not retry-safe, done on A, was not run again');
  t.equal(target.count('/receipt'), 1);
}

interface Agent {
  /** Requests acknowledged (2xx), by index, with the node that answered. */
  acknowledged: Map<number, { node: number; reply: Reply }>;
  /** The request whose node died before it answered (its outcome unknown to the agent). */
  inDoubt?: number;
  /** Other answers (429, 5xx): the agent sends the same request again. */
  refused: number[];
  /** The node its request in flight went to. */
  sendingTo?: number;
}

/**
 * An agent that sends `build(i)` for i = 0, 1, 2, … to the nodes in turn, each only once the
 * previous one was acknowledged, until `stopped()`; a node that drops the connection leaves that
 * request in doubt and ends the run (the agent retries it afterwards, as real agents do).
 */
function startAgent(cluster: Cluster, stopped: () => boolean, build: (i: number) => { route: string; body: unknown; headers: Record<string, string> }) {
  const agent: Agent = { acknowledged: new Map(), refused: [] };
  const done = (async () => {
    let turn = 0;
    for (let i = 0; !stopped(); ) {
      const node = turn++ % cluster.nodes.length;
      const { route, body, headers } = build(i);
      agent.sendingTo = node;
      try {
        const reply = await request(`${cluster.nodes[node].url}${route}`, 'POST', { body, headers });
        if (reply.status >= 200 && reply.status < 300) agent.acknowledged.set(i++, { node, reply });
        else agent.refused.push(reply.status);
      } catch {
        agent.inDoubt = i;
        return;
      }
    }
  })();
  return { agent, done };
}

async function ingestCrash(t: Test, cluster: Cluster, acme: { token: string; headers: Record<string, string> }) {
  // A again beside B (it was killed above): a fresh process on the same database.
  const a = await cluster.startNode(0);
  t.equal((await fetch(`${a.url}/ready`)).status, 200, 'A is back');
  const headers = { ...acme.headers, authorization: `Bearer ${acme.token}` };

  const operators = ['k8s-node-1', 'k8s-node-2'];
  const edges = ['edge-1', 'edge-2'];
  /** Sync i of an operator reports its services 0 … i, each sync adding one. */
  const sync = (nodeId: string) => (i: number) => ({
    route: '/api/v1/operator/status',
    headers,
    body: { nodeId, services: Array.from({ length: i + 1 }, (_, n) => ({ name: `${nodeId}-svc-${n}`, status: 'OPERATIONAL' })) },
  });
  const telemetry = (agentId: string) => (i: number) => ({
    route: '/api/v1/events/ingest',
    headers: { ...headers, 'idempotency-key': `${agentId}-batch-${i}` },
    body: {
      agent_id: agentId,
      points: Array.from({ length: 10 }, (_, n) => ({ service_id: `${agentId}-svc`, metric_name: `m${n}`, value: i + n / 10 })),
      events: [{ service_id: `${agentId}-svc`, event_type: 'log', message: `batch ${i}` }],
    },
  });

  let stop = false;
  const running = [...operators.map((id) => startAgent(cluster, () => stop, sync(id))), ...edges.map((id) => startAgent(cluster, () => stop, telemetry(id)))];
  const agents = running.map((r) => r.agent);
  // Sustained ingest on both nodes; B is killed mid-stream once every agent has had a few answers from it.
  const ackedByB = (agent: Agent) => [...agent.acknowledged.values()].filter((ack) => ack.node === 1).length;
  await eventually(() => (agents.every((agent) => ackedByB(agent) >= 5) ? true : undefined), 60_000, 50);
  // The moment every telemetry agent has a batch in flight to B: B dies with keys it was working on.
  await eventually(() => (agents.slice(operators.length).every((agent) => agent.sendingTo === 1) ? true : undefined), 30_000, 1);
  // A moment later, when they have most likely reached B's handler.
  await new Promise((resolve) => setTimeout(resolve, 30));
  cluster.nodes[1].child.kill('SIGKILL');
  stop = true;
  await Promise.all(running.map((r) => r.done));
  for (const [i, agent] of agents.entries()) {
    t.ok(
      ackedByB(agent) > 0,
      `agent ${[...operators, ...edges][i]}: ${agent.acknowledged.size} writes acknowledged, ${ackedByB(agent)} of them by B before it was killed`,
    );
    if (agent.refused.length > 0) t.comment(`agent ${i} was refused ${agent.refused.join(' ')} and sent again`);
  }
  const [syncs, batches] = [agents.slice(0, operators.length), agents.slice(operators.length)];

  // The agents send again what was in flight when B died (same body, same Idempotency-Key), now to A.
  for (const [index, agent] of agents.entries()) {
    if (agent.inDoubt === undefined) continue;
    const build = index < operators.length ? sync(operators[index]) : telemetry(edges[index - operators.length]);
    const { route, body, headers: retryHeaders } = build(agent.inDoubt);
    const retried = await request(`${a.url}${route}`, 'POST', { body, headers: retryHeaders });
    const outcome = retried.headers.get('idempotent-replayed') ? "B's answer, replayed" : 'run on A';
    t.ok(retried.status >= 200 && retried.status < 300, `the request in flight when B died is accepted again by A (${retried.status}, ${outcome})`);
    agent.acknowledged.set(agent.inDoubt, { node: 0, reply: retried });
  }

  // Every service an acknowledged sync reported is there, as reported.
  for (const [index, agent] of syncs.entries()) {
    const nodeId = operators[index];
    const { json } = await request(`${a.url}/api/v1/operator/services?nodeId=${nodeId}`, 'GET', { headers });
    const stored = new Map<string, string>(json.services.map((s: Json) => [s.name, s.status]));
    const lost = [...agent.acknowledged.keys()].filter((i) => stored.get(`${nodeId}-svc-${i}`) !== 'OPERATIONAL');
    t.same(lost, [], `${nodeId}: all ${agent.acknowledged.size} acknowledged syncs are stored (${stored.size} services)`);
  }

  // Every acknowledged batch is stored once: the batches are exactly the keys sent, each with its
  // answer's id, and a key B acknowledged replays B's answer on A.
  for (const [index, agent] of batches.entries()) {
    const agentId = edges[index];
    const { json } = await request(`${a.url}/api/v1/events/ingest-batches?agentId=${agentId}&limit=1000`, 'GET', { headers });
    const stored = new Set(json.data.map((batch: Json) => batch.id));
    const lost = [...agent.acknowledged.entries()].filter(([, ack]) => !stored.has(ack.reply.json.batch_id)).map(([i]) => i);
    t.same(lost, [], `${agentId}: all ${agent.acknowledged.size} acknowledged batches are stored`);
    t.equal(json.page.total, agent.acknowledged.size, `${agentId}: each batch once (${json.page.total} stored)`);
    const answeredByB = [...agent.acknowledged.entries()].filter(([, ack]) => ack.node === 1);
    const replays = await Promise.all(
      answeredByB.map(async ([i]) => {
        const { route, body, headers: replayHeaders } = telemetry(agentId)(i);
        return request(`${a.url}${route}`, 'POST', { body, headers: replayHeaders });
      }),
    );
    const mismatched = replays.filter(
      (replay, n) =>
        replay.status !== 202 || replay.headers.get('idempotent-replayed') !== 'true' || replay.json.batch_id !== answeredByB[n][1].reply.json.batch_id,
    );
    t.equal(mismatched.length, 0, `${agentId}: the ${replays.length} keys B acknowledged replay B's answers on A`);
  }
  t.equal((await fetch(`${a.url}/ready`)).status, 200, 'A serves on alone');
}
