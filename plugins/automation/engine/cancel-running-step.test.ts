import t, { type Test } from 'tap';
import { eventually, startTestKernel } from '../../../core/plugin-api/testing.ts';
import { cloneTestDatabase } from '../../../core/testing/test-database.ts';
import { startAutomation, targetServer } from '../automation.testkit.ts';
import automation from '../plugin.ts';

type World = Awaited<ReturnType<typeof startAutomation>>;
type Target = Awaited<ReturnType<typeof targetServer>>;

/** A target whose `/hang` never answers. */
const hangingTarget = (t: Parameters<typeof targetServer>[0]) =>
  targetServer(t, (request) => (request.path === '/hang' ? new Promise(() => undefined) : { status: 200, body: { ok: true } }));

/** Runs a workflow whose first step hangs (a 60 s timeout), and returns once that step is running. */
async function startHangingRun(w: World, target: Target): Promise<string> {
  const { json: workflow } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Hangs',
    trigger: { type: 'manual' },
    steps: [
      { id: 'hang', type: 'HTTP_REQUEST', url: `${target.url}/hang`, timeoutMs: 60_000 },
      { id: 'after', type: 'HTTP_REQUEST', url: `${target.url}/after` },
    ],
  });
  const run = await w.write('POST', `/api/v1/workflows/${workflow.id}/run`, w.acmeOperator);
  await eventually(async () => (target.waiting() === 1 ? true : undefined), 30_000);
  return run.json.id as string;
}

async function cancelAndCheck(t: Test, w: World, id: string, target: Target) {
  const cancelled = await w.write('POST', `/api/v1/workflow-executions/${id}/cancel`, w.acmeOperator);
  t.equal(cancelled.status, 200, cancelled.text);
  t.ok(await eventually(async () => (target.waiting() === 0 ? true : undefined), 15_000), 'the running request was abandoned, long before its 60 s timeout');
  // Time for the engine to record anything it would (it must not): the cancel stands as it was.
  await new Promise((done) => setTimeout(done, 500));
  const { json } = await w.read(`/api/v1/workflow-executions/${id}`, w.acmeOps);
  t.match(json, { status: 'cancelled', failureCode: null });
  t.same(
    json.steps.map((s: { stepId: string; status: string; errorCode: string }) => [s.stepId, s.status, s.errorCode]),
    [['hang', 'cancelled', 'cancelled']],
    'the running step shows as cancelled, not failed',
  );
  t.equal(target.received.filter((r) => r.path === '/after').length, 0, 'nothing after it ran');
}

t.test('a cancel stops a running HTTP step on the node that runs it', async (t) => {
  const target = await hangingTarget(t);
  const w = await startAutomation(t);
  await cancelAndCheck(t, w, await startHangingRun(w, target), target);
});

t.test('a cancel through another node stops the step where it runs', async (t) => {
  const target = await hangingTarget(t);
  const database = await cloneTestDatabase();
  t.teardown(() => database.drop());
  // This node serves the API only; the engine runs on a second kernel on the same database.
  const w = await startAutomation(t, { databaseUrl: database.url, env: { ITOPS_JOBS_ENABLED: 'false' } });
  await startTestKernel(t, { databaseUrl: database.url, plugins: [automation], env: { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  await cancelAndCheck(t, w, await startHangingRun(w, target), target);
});
