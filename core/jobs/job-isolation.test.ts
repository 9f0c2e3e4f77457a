import t from 'tap';
import { startTestKernel } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';

/** A handler whose jobs named `hang*` never settle until the test ends; the others finish at once. */
function hangingHandler(t: { teardown(fn: () => unknown): void }) {
  const started: string[] = [];
  const finished: string[] = [];
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  t.teardown(() => release());
  const handler = async ({ key }: { key: string }) => {
    started.push(key);
    if (key.startsWith('hang')) await released;
    finished.push(key);
  };
  return { handler, started, finished };
}

t.test('a job that never settles holds only its own slot: jobs queued after it run', async (t) => {
  const kernel = await startTestKernel(t);
  const jobs = hangingHandler(t);
  await kernel.jobs.declare('isolation', { name: 'single' });
  await kernel.jobs.work('isolation.single', jobs.handler);
  await kernel.jobs.send('isolation.single', { key: 'hang' });
  t.ok(await eventually(() => (jobs.started.includes('hang') ? true : undefined)), 'the stuck job is running');
  for (const key of ['a', 'b', 'c']) await kernel.jobs.send('isolation.single', { key });
  const done = await eventually(() => (['a', 'b', 'c'].every((key) => jobs.finished.includes(key)) ? jobs.finished : undefined));
  t.same(done, ['a', 'b', 'c'], 'the later jobs finished while the stuck one still runs');
  const [{ count }] = await kernel.database.query<{ count: string }>("SELECT count(*) FROM pgboss.job WHERE name = 'isolation.single' AND state = 'completed'");
  t.equal(Number(count), 3, 'and each was settled on its own, without waiting for the stuck one');
});

t.test('a group cannot take every slot: another group runs while the first is at its limit', async (t) => {
  const kernel = await startTestKernel(t);
  const jobs = hangingHandler(t);
  await kernel.jobs.declare('isolation', { name: 'grouped' });
  await kernel.jobs.work('isolation.grouped', jobs.handler, { concurrency: 3, perGroup: 1 });
  for (const key of ['hang-1', 'hang-2', 'hang-3']) await kernel.jobs.send('isolation.grouped', { key }, { group: 'busy-tenant' });
  t.ok(await eventually(() => (jobs.started.length > 0 ? true : undefined)), 'the busy tenant has a job running');
  await kernel.jobs.send('isolation.grouped', { key: 'other' }, { group: 'other-tenant' });
  t.ok(await eventually(() => (jobs.finished.includes('other') ? true : undefined)), "the other tenant's job ran");
  // Which of the three runs first is the queue's choice (they may share a creation time); that only one does is the point.
  t.equal(
    jobs.started.filter((key) => key.startsWith('hang')).length,
    1,
    'the busy tenant held one slot; its other jobs wait for it instead of taking the free slots',
  );
});

t.test('stopping a worker waits for a stuck job only until the shutdown timeout', async (t) => {
  const kernel = await startTestKernel(t, { env: { ITOPS_SHUTDOWN_TIMEOUT_MS: '1000' } });
  const jobs = hangingHandler(t);
  await kernel.jobs.declare('isolation', { name: 'stuck' });
  const stopWorking = await kernel.jobs.work('isolation.stuck', jobs.handler);
  await kernel.jobs.send('isolation.stuck', { key: 'hang' });
  t.ok(await eventually(() => (jobs.started.includes('hang') ? true : undefined)), 'the stuck job is running');
  // Not a timing check: before the bound, stopping waited for the job forever.
  let timer: NodeJS.Timeout | undefined;
  const stillWaiting = new Promise((resolve) => {
    timer = setTimeout(() => resolve('still waiting'), 20_000);
  });
  const outcome = await Promise.race([stopWorking().then(() => 'stopped'), stillWaiting]).finally(() => clearTimeout(timer));
  t.equal(outcome, 'stopped', 'the worker stopped while its job still runs');
  t.notOk(jobs.finished.includes('hang'));
});
