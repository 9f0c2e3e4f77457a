/**
 * `npm run bench:workflows`: executions/s of a 3-step workflow (HTTP_REQUEST to a local server
 * through the outbound guard, SET_VARIABLE, NOTIFY publishing an event) on the durable engine,
 * against pg-boss jobs doing the same work without the engine in the same run: a chain of three
 * jobs (the HTTP call, the variable, the event in a transaction), each sending the next.
 * Both start the same number of runs at once through the same job service and count until the
 * last one finished. Goal (issue 19): the engine costs ≤ 2× the bare jobs; ≥ 200 executions/s.
 *   BENCH_EXECUTIONS (2000), BENCH_ROUNDS (2; the best round of each counts)
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { definePlugin, tokens } from '../core/plugin-api/index.ts';
import { servicesProbe } from '../core/plugin-api/testing.ts';
import type { WorkflowEngine } from '../plugins/automation/engine/workflow-engine.ts';
import { createAutomationPlugin } from '../plugins/automation/plugin.ts';
import { ownCpuMicros, reportFigures, startBenchKernel, jsonPoster } from './bench-kit.ts';

const executions = Math.min(Math.max(Number(process.env.BENCH_EXECUTIONS ?? 2000), 100), 100_000);
const rounds = Math.min(Math.max(Number(process.env.BENCH_ROUNDS ?? 2), 1), 10);
const log = (line: string) => process.stdout.write(`${line}\n`);

const target = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true,"service":"db"}');
  });
});
await new Promise<void>((done) => target.listen(0, '127.0.0.1', done));
const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/restart`;

// The same three steps as plain jobs: each does its step's work and sends the next.
let bareDone = 0;
let benchJobs: { send(queue: string, payload: object): Promise<unknown> } | undefined;
const bare = definePlugin({
  id: 'bare_chain',
  version: '1.0.0',
  host: '>=0.1.0 <1.0.0',
  events: [{ topic: 'bare_chain.notified', description: 'The chain finished' }],
  // The engine's queue runs 16 jobs at once on a node: so do these.
  jobs: [
    { name: 'call', concurrency: 16 },
    { name: 'variable', concurrency: 16 },
    { name: 'notify', concurrency: 16 },
  ],
  init(ctx) {
    const jobs = ctx.get(tokens.jobs);
    const outbound = ctx.get(tokens.outbound);
    const database = ctx.get(tokens.database);
    const events = ctx.get(tokens.events);
    benchJobs = jobs;
    ctx.job<{ tenantId: string; run: string }>('call', async (payload) => {
      const response = await outbound.request(targetUrl, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      await jobs.send('bare_chain.variable', { ...payload, status: response.status, body: JSON.parse(response.body.toString('utf8')) });
    });
    ctx.job<{ tenantId: string; run: string; body: { service: string } }>('variable', async (payload) => {
      await jobs.send('bare_chain.notify', { tenantId: payload.tenantId, run: payload.run, service: payload.body.service });
    });
    ctx.job<{ tenantId: string; run: string; service: string }>('notify', async (payload) => {
      await database.forTenant(payload.tenantId).transaction((tx) =>
        events.publish(tx, {
          topic: 'bare_chain.notified',
          tenantId: payload.tenantId,
          payload: { run: payload.run, message: `Restarted ${payload.service}` },
        }),
      );
      bareDone += 1;
    });
  },
});

let engine: WorkflowEngine | undefined;
const probe = servicesProbe();
const kernel = await startBenchKernel([createAutomationPlugin({ engineReady: (e) => (engine = e) }), bare, probe.plugin], {
  ITOPS_ADMIN_EMAIL: 'bench@itops.test',
  ITOPS_ADMIN_PASSWORD: 'bench admin password',
  ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true',
  ITOPS_LOG_LEVEL: 'error',
  ITOPS_DB_POOL_SIZE: '40',
  // The engine and the bare chain both live on the job queue: its own pool is what they wait for.
  ITOPS_JOBS_POOL_SIZE: process.env.ITOPS_JOBS_POOL_SIZE ?? '16',
});
const { database } = probe.services();
const tenantId = 'bench';
const post = jsonPoster(kernel.url);
const admin = await post('/api/v1/auth/login', { email: 'bench@itops.test', password: 'bench admin password' });
await post('/api/v1/tenants', { tenant_id: tenantId, name: 'Bench', plan: 'pro' }, { authorization: `Bearer ${admin.token}` });

const workflowId = randomUUID();
const steps = [
  { id: 'call', type: 'HTTP_REQUEST', url: targetUrl, method: 'POST', body: {} },
  { id: 'pick', type: 'SET_VARIABLE', variable: 'service', value: '{{ $.steps.call.output.body.service }}' },
  { id: 'tell', type: 'NOTIFY', message: 'Restarted {{ $.vars.service }}' },
];
await database.forTenant(tenantId).transaction(async (tx) => {
  await tx.query('INSERT INTO workflow (id, tenant_id, name, trigger, steps) VALUES (?, ?, \'bench\', \'{"type":"manual"}\', ?)', [
    workflowId,
    tenantId,
    JSON.stringify(steps),
  ]);
  await tx.query('INSERT INTO workflow_version (tenant_id, workflow_id, version, name, trigger, steps) VALUES (?, ?, 1, \'bench\', \'{"type":"manual"}\', ?)', [
    tenantId,
    workflowId,
    JSON.stringify(steps),
  ]);
});

async function until(done: () => Promise<boolean> | boolean, timeoutMs = 600_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the runs did not finish in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function engineRound(): Promise<number> {
  const started = performance.now();
  // One transaction queues them all; each execution's job is sent after the commit.
  await database.forTenant(tenantId).transaction(async (tx) => {
    for (let i = 0; i < executions; i++) await engine?.start(tx, { id: workflowId, version: 1, name: 'bench' }, { kind: 'manual', input: { i } });
  });
  await until(async () => {
    const [row] = await database
      .forTenant(tenantId)
      .query<{ open: number; failed: number }>(
        "SELECT count(*) FILTER (WHERE status NOT IN ('succeeded', 'failed', 'cancelled'))::int AS open, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM workflow_execution",
      );
    if ((row?.failed ?? 0) > 0) throw new Error(`${row?.failed} executions failed`);
    return row?.open === 0;
  });
  return executions / ((performance.now() - started) / 1000);
}

async function bareRound(): Promise<number> {
  const started = performance.now();
  const before = bareDone;
  await Promise.all(Array.from({ length: executions }, (_, i) => benchJobs?.send('bare_chain.call', { tenantId, run: String(i) })));
  await until(() => bareDone - before >= executions);
  return executions / ((performance.now() - started) / 1000);
}

const engineRates: number[] = [];
const bareRates: number[] = [];
const cpu = { bare: [] as number[], engine: [] as number[] };
const measured = async (side: 'bare' | 'engine', round: () => Promise<number>) => {
  const before = ownCpuMicros();
  const rate = await round();
  cpu[side].push((ownCpuMicros() - before) / executions);
  return rate;
};
for (let round = 1; round <= rounds; round++) {
  // Alternating, so neither side always runs on a warmer database.
  bareRates.push(await measured('bare', bareRound));
  engineRates.push(await measured('engine', engineRound));
  log(
    `round ${round}: bare jobs ${bareRates.at(-1)?.toFixed(0)}/s (${cpu.bare.at(-1)?.toFixed(0)} µs node CPU/run), ` +
      `engine ${engineRates.at(-1)?.toFixed(0)} executions/s (${cpu.engine.at(-1)?.toFixed(0)} µs node CPU/execution)`,
  );
}
const engineRate = Math.max(...engineRates);
const bareRate = Math.max(...bareRates);
const cost = bareRate / engineRate;
log('');
log(`${executions} runs of a 3-step workflow (HTTP_REQUEST, SET_VARIABLE, NOTIFY), best of ${rounds} rounds`);
log(`bare pg-boss job chain   ${bareRate.toFixed(0).padStart(6)} runs/s`);
log(`workflow engine          ${engineRate.toFixed(0).padStart(6)} executions/s`);
log(`engine cost              ${cost.toFixed(2).padStart(6)}x the bare jobs (goal <= 2x)`);
log(`goal >= 200 executions/s ${engineRate >= 200 ? 'met' : 'NOT met'}; goal <= 2x ${cost <= 2 ? 'met' : 'NOT met'}`);
reportFigures('workflows', [
  { figure: 'workflow executions/s', value: Math.round(engineRate), goal: '>= 200', pass: engineRate >= 200 },
  {
    figure: 'engine cost vs bare jobs',
    value: Number(cost.toFixed(2)),
    baseline: 'pg-boss job chain',
    ratio: Number(cost.toFixed(2)),
    goal: '<= 2',
    pass: cost <= 2,
  },
]);
await kernel.stop();
await new Promise((done) => target.close(done));
process.exit(engineRate >= 200 && cost <= 2 ? 0 : 1);
