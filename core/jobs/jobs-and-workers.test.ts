import t from 'tap';
import { eventually } from '../testing/eventually.ts';
import { definePlugin } from '../plugin-api/index.ts';
import { call, startTestKernel, testAccess } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

const access = testAccess({ writer: ['example:write', 'example:read'] });
const writer = { authorization: 'Test writer' };

t.test('a request scores on the worker pool and a job records the result', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin], access });
  const created = await call(kernel, 'POST', '/api/v1/example/scores', { body: { label: 'first', values: [1, 2, 3] }, headers: writer });
  t.equal(created.status, 202);
  t.equal(created.json.score, 14, 'the worker task computed 1 + 4 + 9');
  t.type(created.json.jobId, 'string');

  const listed = await eventually(async () => {
    const list = await call(kernel, 'GET', '/api/v1/example/scores', { headers: writer });
    return list.json.data.length > 0 ? list.json.data : undefined;
  });
  t.match(listed, [{ label: 'first', score: 14 }], 'the job wrote the row');
  const [job] = await kernel.database.query<{ state: string }>("SELECT state FROM pgboss.job WHERE name = 'example.record_score'");
  t.equal(job.state, 'completed');
});

t.test('job payloads are validated against the declared schema before they are queued', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin], access });
  await t.rejects(kernel.jobs.send('example.record_score', { label: 'x' }), { code: 'validation_failed' });
  await t.rejects(kernel.jobs.send('example.undeclared', {}), { message: 'unknown job queue "example.undeclared"' });
  const [{ count }] = await kernel.database.query<{ count: string }>("SELECT count(*) FROM pgboss.job WHERE name LIKE 'example.%'");
  t.equal(Number(count), 0, 'nothing was queued');
});

t.test('unloading a plugin stops its job workers and schedules', async (t) => {
  const { definePlugin } = await import('../plugin-api/index.ts');
  const ticker = definePlugin({
    id: 'ticker',
    version: '1.0.0',
    host: '*',
    jobs: [{ name: 'tick', schedule: '*/5 * * * *' }],
    init(ctx) {
      ctx.job('tick', () => {});
    },
  });
  const kernel = await startTestKernel(t, { plugins: [ticker] });
  const scheduled = async () => (await kernel.database.query<{ name: string }>("SELECT name FROM pgboss.schedule WHERE name = 'ticker.tick'")).length;
  t.equal(await scheduled(), 1);
  await kernel.plugins.unload('ticker');
  t.equal(await scheduled(), 0);
  await t.rejects(kernel.jobs.send('ticker.tick', {}), { message: 'unknown job queue "ticker.tick"' });
});

t.test('a worker task runs off the main thread and unknown tasks are refused', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin] });
  t.equal(await kernel.workers.run('example.sum_of_squares', [3, 4]), 25);
  await t.rejects(kernel.workers.run('example.nope', []), { message: 'unknown worker task "example.nope"' });
});

t.test('two nodes on one database: every job runs exactly once', async (t) => {
  const first = await startTestKernel(t, { plugins: [examplePlugin], access });
  const second = await startTestKernel(t, { plugins: [examplePlugin], access, databaseUrl: first.database.url });
  const sends = Array.from({ length: 30 }, (_, i) =>
    (i % 2 === 0 ? first : second).jobs.send('example.record_score', { tenantId: 'test-tenant', label: `job-${i}`, score: i }),
  );
  await Promise.all(sends);
  const rows = await eventually(async () => {
    const found = await first.database.query<{ label: string }>('SELECT label FROM example_score');
    return found.length >= 30 ? found : undefined;
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const labels = (await first.database.query<{ label: string }>('SELECT label FROM example_score')).map((r) => r.label);
  t.equal(rows?.length, 30);
  t.equal(labels.length, 30, 'no job ran twice');
  t.equal(new Set(labels).size, 30);
});

t.test('a failing job is retried on its own while its batch-mates complete', async (t) => {
  const { definePlugin } = await import('../plugin-api/index.ts');
  const attempts = new Map<string, number>();
  const flaky = definePlugin({
    id: 'flaky',
    version: '1.0.0',
    host: '*',
    jobs: [{ name: 'step', retry: { limit: 2, delaySeconds: 1, backoff: false } }],
    init(ctx) {
      ctx.job<{ key: string }>('step', ({ key }) => {
        attempts.set(key, (attempts.get(key) ?? 0) + 1);
        if (key === 'bad' && (attempts.get(key) ?? 0) < 2) throw new Error('transient');
      });
    },
  });
  const kernel = await startTestKernel(t, { plugins: [flaky] });
  await Promise.all(['good-1', 'bad', 'good-2'].map((key) => kernel.jobs.send('flaky.step', { key })));
  const done = await eventually(async () => {
    const rows = await kernel.database.query<{ state: string }>("SELECT state FROM pgboss.job WHERE name = 'flaky.step' AND state = 'completed'");
    return rows.length === 3 ? rows : undefined;
  });
  t.equal(done?.length, 3, 'all three jobs completed');
  t.same(Object.fromEntries(attempts), { 'good-1': 1, bad: 2, 'good-2': 1 }, 'only the failing job ran again');
});

t.test('tenant-scoped entities: each tenant sees its own rows, and a query without a tenant fails', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin], access });
  const acme = { authorization: 'Test writer acme' };
  const globex = { authorization: 'Test writer globex' };
  await call(kernel, 'POST', '/api/v1/example/scores', { body: { label: 'acme-score', values: [2] }, headers: acme });
  await call(kernel, 'POST', '/api/v1/example/scores', { body: { label: 'globex-score', values: [3] }, headers: globex });
  const acmeRows = await eventually(async () => {
    const list = await call(kernel, 'GET', '/api/v1/example/scores', { headers: acme });
    return list.json.data.length > 0 ? list.json.data : undefined;
  });
  await eventually(async () => ((await call(kernel, 'GET', '/api/v1/example/scores', { headers: globex })).json.data.length > 0 ? true : undefined));
  t.same(
    acmeRows?.map((r: any) => r.label),
    ['acme-score'],
  );
  t.same(
    (await call(kernel, 'GET', '/api/v1/example/scores', { headers: globex })).json.data.map((r: any) => r.label),
    ['globex-score'],
  );
  const stored = await kernel.database.query<{ tenant_id: string; label: string }>('SELECT tenant_id, label FROM example_score ORDER BY label');
  t.same(stored, [
    { tenant_id: 'acme', label: 'acme-score' },
    { tenant_id: 'globex', label: 'globex-score' },
  ]);
  t.same(
    await kernel.database.forTenant('acme').query('SELECT tenant_id, label FROM example_score'),
    [{ tenant_id: 'acme', label: 'acme-score' }],
    "a tenant's handle sees only its rows, without a tenant condition",
  );
});

t.test('queues are declared without NOTIFY, and one an earlier version made with it is switched at the next boot', async (t) => {
  // A notifying insert holds PostgreSQL's one notify lock until its WAL is flushed: job inserts queued behind each other.
  const first = await startTestKernel(t, { plugins: [examplePlugin], access });
  const notifying = async () =>
    (await first.database.query<{ name: string }>("SELECT name FROM pgboss.queue WHERE name LIKE 'example.%' AND notify ORDER BY name")).map((r) => r.name);
  const [{ count }] = await first.database.query<{ count: string }>("SELECT count(*) FROM pgboss.queue WHERE name LIKE 'example.%'");
  t.ok(Number(count) > 0, 'the example plugin declared queues');
  t.same(await notifying(), []);
  await first.database.query("UPDATE pgboss.queue SET notify = true WHERE name = 'example.record_score'");
  t.same(await notifying(), ['example.record_score'], 'as an earlier version left it');
  await startTestKernel(t, { plugins: [examplePlugin], access, databaseUrl: first.database.url });
  t.same(await notifying(), [], 'declaring it again turned NOTIFY off');
  const created = await call(first, 'POST', '/api/v1/example/scores', { body: { label: 'woken', values: [2] }, headers: writer });
  t.equal(created.status, 202);
  const listed = await eventually(async () => {
    const list = await call(first, 'GET', '/api/v1/example/scores', { headers: writer });
    return list.json.data.some((row: { label: string }) => row.label === 'woken') ? list.json.data : undefined;
  });
  t.ok(listed, 'a job queued without NOTIFY still runs');
});

t.test("a running job's signal aborts when the job runs past its expiry, and when the node stops after its shutdown wait", async (t) => {
  const aborted: string[] = [];
  const waitForAbort = async (label: string, signal: AbortSignal) => {
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    aborted.push(`${label}: ${(signal.reason as Error)?.message ?? signal.reason}`);
  };
  const probe = definePlugin({
    id: 'signal_probe',
    version: '1.0.0',
    host: '*',
    jobs: [
      { name: 'overdue', expireInSeconds: 1, retry: { limit: 0 } },
      { name: 'stuck', retry: { limit: 0 } },
    ],
    init(ctx) {
      ctx.job('overdue', (_payload, job) => waitForAbort('overdue', job.signal));
      ctx.job('stuck', (_payload, job) => waitForAbort('stuck', job.signal));
    },
  });
  const kernel = await startTestKernel(t, { plugins: [probe], env: { ITOPS_SHUTDOWN_TIMEOUT_MS: '500' } });
  await kernel.jobs.send('signal_probe.overdue', {});
  t.match(await eventually(() => aborted.find((line) => line.startsWith('overdue'))), /^overdue: /, 'pg-boss aborted the overdue job');

  await kernel.jobs.send('signal_probe.stuck', {});
  await eventually(async () => {
    const [job] = await kernel.database.query<{ state: string }>("SELECT state FROM pgboss.job WHERE name = 'signal_probe.stuck'");
    return job?.state === 'active' ? job : undefined;
  });
  await kernel.stop();
  t.ok(aborted.includes('stuck: the node is stopping'), 'stopping aborted the job still running once its wait was over');
});
