import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { eventually, startTestKernel } from '../../../core/plugin-api/testing.ts';
import { cloneTestDatabase } from '../../../core/testing/test-database.ts';
import { startAutomation, targetServer } from '../automation.testkit.ts';
import automation from '../plugin.ts';

const fixture = fileURLToPath(new URL('./engine-process.fixture.ts', import.meta.url));
const engineEnv = {
  ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true',
  ITOPS_AUTOMATION_LEASE_SECONDS: '1',
  ITOPS_AUTOMATION_RESUME_AFTER_SECONDS: '1',
  ITOPS_AUTOMATION_SWEEP_INTERVAL_MS: '200',
};

// Up to a minute of it is the dead engine's lease running out.
t.setTimeout(240_000);

t.test('an engine killed mid-step: a fresh one resumes; steps not marked retry-safe ran once', async (t) => {
  // The first call to /slow and to /unsafe never answer: the engine is killed while they run.
  const hanging = new Set(['/slow', '/unsafe']);
  const target = await targetServer(t, (request) => {
    if (hanging.has(request.path)) {
      hanging.delete(request.path);
      return new Promise(() => undefined);
    }
    return { status: 200, body: { path: request.path } };
  });
  const count = (path: string) => target.received.filter((r) => r.path === path).length;
  const database = await cloneTestDatabase();
  t.teardown(() => database.drop());

  // This node serves the API only: the child process is the engine.
  const w = await startAutomation(t, { databaseUrl: database.url, env: { ...engineEnv, ITOPS_JOBS_ENABLED: 'false' } });
  const create = async (name: string, steps: unknown[]) =>
    (await w.write('POST', '/api/v1/workflows', w.acmeOps, { name, trigger: { type: 'manual' }, steps })).json;
  const resumable = await create('Charge then sync', [
    { id: 'charge', type: 'HTTP_REQUEST', method: 'POST', url: `${target.url}/charge` },
    { id: 'sync', type: 'HTTP_REQUEST', url: `${target.url}/slow`, retrySafe: true, timeoutMs: 3000 },
    { id: 'receipt', type: 'HTTP_REQUEST', method: 'POST', url: `${target.url}/receipt`, body: { charged: '{{ $.steps.charge.output.body.path }}' } },
  ]);
  const unsafe = await create('Unsafe', [
    { id: 'pay', type: 'HTTP_REQUEST', method: 'POST', url: `${target.url}/unsafe`, timeoutMs: 3000 },
    { id: 'after', type: 'HTTP_REQUEST', method: 'POST', url: `${target.url}/after` },
  ]);
  const first = (await w.write('POST', `/api/v1/workflows/${resumable.id}/run`, w.acmeOperator)).json;
  const second = (await w.write('POST', `/api/v1/workflows/${unsafe.id}/run`, w.acmeOperator)).json;

  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { ...process.env, DATABASE_URL: database.url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  t.ok(await eventually(() => (count('/slow') === 1 && count('/unsafe') === 1 ? true : undefined), 60_000), 'the child engine is mid-step in both');
  child.kill('SIGKILL');
  await once(child, 'exit');
  t.equal(count('/charge'), 1);
  const running = (await w.read(`/api/v1/workflow-executions/${first.id}`, w.acmeOps)).json;
  t.match(running, { status: 'running', currentStep: 'sync' });
  t.match(running.steps.at(-1), { stepId: 'sync', status: 'running' });

  // A fresh engine on the same database.
  await startTestKernel(t, { databaseUrl: database.url, plugins: [automation], env: engineEnv });
  // The killed engine may have held the sweep's periodic lease (60 s at least): the fresh one takes it over once it ends.
  const settled = (id: string) =>
    eventually(async () => {
      const { json } = await w.read(`/api/v1/workflow-executions/${id}`, w.acmeOps);
      return ['succeeded', 'failed'].includes(json.status) ? json : undefined;
    }, 90_000);

  const resumed = await settled(first.id);
  t.match(resumed, { status: 'succeeded', failureCode: null });
  t.same(
    resumed.steps.map((s: any) => [s.stepId, s.status, s.attempt]),
    [
      ['charge', 'succeeded', 1],
      ['sync', 'interrupted', 1],
      ['sync', 'succeeded', 2],
      ['receipt', 'succeeded', 1],
    ],
  );
  t.equal(count('/charge'), 1, 'the charge (not retry-safe) ran once');
  t.equal(count('/slow'), 2, 'the retry-safe step ran again');
  t.equal(count('/receipt'), 1);
  t.same(JSON.parse(target.received.find((r) => r.path === '/receipt')?.body ?? '{}'), { charged: '/charge' }, 'outputs from before the crash carried over');

  const refused = await settled(second.id);
  t.match(refused, { status: 'failed', failureCode: 'step_interrupted', currentStep: 'pay' });
  t.match(refused.steps, [{ stepId: 'pay', status: 'interrupted', errorCode: 'step_interrupted' }]);
  t.equal(count('/unsafe'), 1, 'the interrupted step that is not retry-safe did not run again');
  t.equal(count('/after'), 0);
});
