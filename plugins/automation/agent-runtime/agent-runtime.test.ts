import t from 'tap';
import { definePlugin } from '../../../core/plugin-api/index.ts';
import { eventually } from '../../../core/plugin-api/testing.ts';
import { startAutomation } from '../automation.testkit.ts';

/** A plugin whose one job always fails, queued for acme: a failed job for the runtime view to show. */
const flaky = definePlugin({
  id: 'flaky',
  version: '0.1.0',
  host: '>=0.1.0 <1.0.0',
  jobs: [{ name: 'always_fails', retry: { limit: 0 } }],
  init(ctx) {
    ctx.job('always_fails', () => {
      throw new Error('disk full');
    });
  },
});

const world = (t: Parameters<typeof startAutomation>[0]) => startAutomation(t, { plugins: [flaky] });

t.test('failed jobs and outbox deliveries: listed for their workspace only, retried on request', async (t) => {
  const w = await world(t);
  // A receiver that cannot resolve fails at once: a failed outbox delivery without waiting out retries.
  const hook = await w.write('POST', '/api/v1/webhooks', w.acmeAdmin, { url: 'https://receiver.invalid/hook', topics: ['automation.agent_run_completed'] });
  t.equal(hook.status, 201, hook.text);
  await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: { message: 'to the outbox' } });
  const jobId = await w.kernel.jobs.send('flaky.always_fails', { tenantId: 'acme' });

  const failures = await eventually(async () => {
    const listed = await w.read('/api/v1/agent-runtime/failures', w.acmeOps);
    return listed.json.jobs?.length && listed.json.outbox?.length ? listed : undefined;
  });
  t.equal(failures?.status, 200);
  t.match(failures?.json.jobs, [{ id: jobId, queue: 'flaky.always_fails', error: 'disk full', failedAt: String }]);
  t.match(failures?.json.outbox, [{ subscriptionId: hook.json.id, topic: 'automation.agent_run_completed', lastError: /blocked/, attempts: Number }]);
  const deliveryId = failures?.json.outbox[0].id;

  const foreign = await w.read('/api/v1/agent-runtime/failures', w.globexAdmin);
  t.same(foreign.json, { jobs: [], outbox: [] }, "another workspace sees none of acme's failures");
  t.equal((await w.write('POST', `/api/v1/agent-runtime/job-failures/${jobId}/retry`, w.globexAdmin)).status, 404, "nor retries acme's job");
  t.equal((await w.write('POST', `/api/v1/agent-runtime/outbox-failures/${deliveryId}/retry`, w.globexAdmin)).status, 404, "nor acme's delivery");

  const health = await w.read('/api/v1/agent-runtime/health', w.acmeViewer);
  t.equal(health.status, 200, health.text);
  t.match(health.json, { status: 'degraded', failures: { jobs: 1, outbox: 1 }, database: { ok: true }, agents: { builtin: 1, controlPlaneConfigured: false } });

  const retriedJob = await w.write('POST', `/api/v1/agent-runtime/job-failures/${jobId}/retry`, w.acmeOps);
  t.equal(retriedJob.status, 202, retriedJob.text);
  t.same(retriedJob.json, { id: jobId, retried: true });
  const ranAgain = await eventually(async () => {
    const [job] = await w.kernel.database.query<{ state: string; retry_count: number }>('SELECT state, retry_count FROM pgboss.job WHERE id = ?', [jobId]);
    return job.state === 'failed' && job.retry_count > 0 ? job : undefined;
  });
  t.ok(ranAgain, 'the job ran again (and failed again)');

  const retriedDelivery = await w.write('POST', `/api/v1/agent-runtime/outbox-failures/${deliveryId}/retry`, w.acmeOps);
  t.equal(retriedDelivery.status, 202, retriedDelivery.text);
  const [reopened] = await w.kernel.database.query<{ status: string }>('SELECT status FROM webhook_delivery WHERE id = ?', [deliveryId]);
  t.ok(['pending', 'failed'].includes(reopened.status), 'the delivery went back to the queue');

  t.equal((await w.write('POST', `/api/v1/agent-runtime/job-failures/${deliveryId}/retry`, w.acmeOps)).status, 404, 'no such failed job');
  t.equal((await w.write('POST', '/api/v1/agent-runtime/job-failures/nope/retry', w.acmeOps)).status, 400);
  t.equal((await w.write('POST', `/api/v1/agent-runtime/job-failures/${jobId}/retry`, w.acmeViewer)).status, 403, 'viewers only look');
  t.equal((await w.write('POST', `/api/v1/agent-runtime/outbox-failures/${deliveryId}/retry`, { headers: {} })).status, 401);
  t.equal((await w.read('/api/v1/agent-runtime/failures?limit=0', w.acmeOps)).status, 400);
});

t.test('queues, agents and the smoke test', async (t) => {
  const w = await world(t);
  const smoke = await w.write('POST', '/api/v1/agent-runtime/smoke', w.acmeOps);
  t.equal(smoke.status, 200, smoke.text);
  t.match(smoke.json, { status: 'passed', totalMs: Number, startedAt: String });
  t.same(
    smoke.json.stages.map((stage: { name: string; status: string }) => [stage.name, stage.status]),
    [
      ['database', 'passed'],
      ['event', 'passed'],
      ['job', 'passed'],
      ['agent', 'passed'],
      ['workflow', 'passed'],
    ],
  );
  const workflowStage = smoke.json.stages.find((stage: { name: string }) => stage.name === 'workflow');
  const executionId = /^execution (\S+)$/.exec(workflowStage.detail)?.[1];
  const execution = await w.read(`/api/v1/workflow-executions/${executionId}`, w.acmeOps);
  t.match(execution.json, { status: 'succeeded', steps: [{ stepId: 'mark', type: 'SET_VARIABLE', status: 'succeeded' }] }, 'the execution is kept as evidence');
  t.equal((await w.read('/api/v1/workflows', w.acmeOps)).json.page.total, 0, 'its workflow is removed');
  t.ok(
    smoke.json.stages.every((stage: { durationMs: number }) => Number.isInteger(stage.durationMs)),
    'each stage is timed',
  );

  const queues = await w.read('/api/v1/agent-runtime/queues', w.acmeViewer);
  t.equal(queues.status, 200, queues.text);
  const smokeQueue = queues.json.data.find((queue: { name: string }) => queue.name === 'automation.smoke');
  t.match(smokeQueue, { queued: 0, active: Number, failed: 0, oldestQueuedAgeSeconds: null });

  const agents = await w.read('/api/v1/agent-runtime/agents', w.acmeViewer);
  t.equal(agents.status, 200, agents.text);
  t.match(agents.json, {
    controlPlane: { configured: false, signed: false },
    data: [{ name: 'automation.echo', executor: 'builtin', owner: 'automation', retrySafe: true, runs: { succeeded: 1, lastRunAt: String } }],
  });
  const foreign = await w.read('/api/v1/agent-runtime/agents', w.globexAdmin);
  t.match(foreign.json.data, [{ name: 'automation.echo', runs: { succeeded: 0, lastRunAt: null } }], "another workspace's runs are not counted");

  t.equal((await w.write('POST', '/api/v1/agent-runtime/smoke', w.acmeViewer)).status, 403);
  t.equal((await w.write('POST', '/api/v1/agent-runtime/smoke', { headers: {} })).status, 401);
  for (const path of ['health', 'queues', 'failures', 'agents']) {
    const denied = await w.read(`/api/v1/agent-runtime/${path}`, w.acmeBilling);
    t.equal(denied.status, 403, `billing does not see the runtime (${path})`);
    t.match(denied.json, { error: { code: 'forbidden' } });
    t.equal((await w.read(`/api/v1/agent-runtime/${path}`, { headers: {} })).status, 401);
  }
});
