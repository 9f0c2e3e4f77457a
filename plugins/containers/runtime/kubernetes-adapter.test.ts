import t from 'tap';
import { KubernetesAdapter, parseQuantity } from './kubernetes-adapter.ts';
import { pod, startKubernetesApi } from './kubernetes-api.testkit.ts';
import { RuntimeCursorExpired, type RuntimeEvent } from './runtime-adapter.ts';

const deployment = (name: string, replicas: number, ready: number) => ({
  metadata: { name, namespace: 'shop', uid: `uid-deploy-${name}` },
  spec: { replicas },
  status: { replicas, readyReplicas: ready },
});

t.test('lists pods as containers with namespace and workload, and the workloads with their replicas', async (t) => {
  const api = await startKubernetesApi(t);
  api.put('pods', pod('web-7d9f8c6b5-abcde', { deployment: 'web', restarts: 1 }));
  api.put('pods', pod('db-0', { state: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-03-10T11:30:00Z' } } }));
  api.put('deployments', deployment('web', 3, 2));
  api.put('daemonsets', { metadata: { name: 'logs', namespace: 'kube-system', uid: 'uid-ds' }, status: { desiredNumberScheduled: 4, numberReady: 4 } });
  const adapter = new KubernetesAdapter({ apiServer: api.url, token: api.token });
  t.match(await adapter.connect(), { kind: 'kubernetes', serverVersion: 'v1.31.2' });
  const { containers, workloads, cursor } = await adapter.list();
  t.same(JSON.parse(cursor), { pods: '100', deployments: '100', statefulsets: '100', daemonsets: '100' });
  t.match(
    containers.find((c) => c.name === 'web-7d9f8c6b5-abcde/app'),
    {
      externalId: 'uid-web-7d9f8c6b5-abcde/app',
      namespace: 'shop',
      workloadKind: 'deployment',
      workloadName: 'web',
      state: 'running',
      health: 'healthy',
      restartCount: 1,
      imageDigest: `sha256:${'b'.repeat(64)}`,
      host: 'node-a',
    },
  );
  t.match(
    containers.find((c) => c.name === 'db-0/app'),
    { state: 'exited', exitCode: 1, workloadKind: null },
  );
  t.same(
    workloads.sort((a, b) => a.name.localeCompare(b.name)),
    [
      { namespace: 'kube-system', kind: 'daemonset', name: 'logs', replicas: 4, readyReplicas: 4 },
      { namespace: 'shop', kind: 'deployment', name: 'web', replicas: 3, readyReplicas: 2 },
    ],
  );
  const wrong = new KubernetesAdapter({ apiServer: api.url, token: 'wrong' });
  await t.rejects(wrong.list(), { name: 'RuntimeHttpError', message: /401/ }, 'a wrong token is refused');
});

t.test('watches from the list’s resourceVersion; a dropped watch resumes from its cursor; a compacted one asks to list again', async (t) => {
  const api = await startKubernetesApi(t);
  api.put('pods', pod('web-1', { deployment: 'web' }));
  const adapter = new KubernetesAdapter({ apiServer: api.url, token: api.token, namespace: 'shop' });
  const { cursor } = await adapter.list();
  t.ok(api.requests.includes('/api/v1/namespaces/shop/pods'), 'one namespace when configured');
  const seen: RuntimeEvent[] = [];
  let last = cursor;
  const abort = new AbortController();
  const watching = adapter.watch(
    cursor,
    async (event, next) => {
      seen.push(event);
      last = next;
    },
    abort.signal,
  );
  await waitFor(() => api.watching() === 4);
  api.change('pods', 'MODIFIED', pod('web-1', { deployment: 'web', state: { waiting: { reason: 'CrashLoopBackOff' } }, restarts: 3 }));
  api.change('deployments', 'MODIFIED', deployment('web', 3, 1));
  await waitFor(() => seen.length === 2);
  api.dropWatches();
  const ended = await watching;
  t.equal(ended, last);
  t.match(seen, [
    { kind: 'changed', container: { name: 'web-1/app', state: 'restarting', restartCount: 3 } },
    { kind: 'workload', workload: { kind: 'deployment', name: 'web', readyReplicas: 1 } },
  ]);
  // While no watch is open, the pod goes away.
  api.change('pods', 'DELETED', pod('web-1', { deployment: 'web' }));
  const again: RuntimeEvent[] = [];
  const abort2 = new AbortController();
  const resumed = adapter.watch(ended, async (event) => void again.push(event), abort2.signal);
  await waitFor(() => again.length === 1);
  abort2.abort();
  await resumed;
  t.match(again, [{ kind: 'changed', container: { name: 'web-1/app', state: 'removed' } }], 'only what happened after the cursor, nothing twice');

  api.compact();
  await t.rejects(
    adapter.watch(ended, async () => {}, new AbortController().signal),
    RuntimeCursorExpired,
    '410 Gone: list again',
  );
  abort.abort();
});

t.test('bookmarks move the cursor without events', async (t) => {
  const api = await startKubernetesApi(t);
  const adapter = new KubernetesAdapter({ apiServer: api.url, token: api.token });
  const { cursor } = await adapter.list();
  const abort = new AbortController();
  const cursors: string[] = [];
  const watching = adapter.watch(cursor, async (_e, c) => void cursors.push(c), abort.signal);
  await waitFor(() => api.watching() === 4);
  api.bookmark('pods');
  await new Promise((resolve) => setTimeout(resolve, 100));
  abort.abort();
  const ended = await watching;
  t.equal(cursors.length, 0, 'no event handed on');
  t.equal(JSON.parse(ended).pods, '101', 'the bookmark’s version is where the next watch starts');
});

t.test('pod logs with tail and since, and metrics-server readings', async (t) => {
  const api = await startKubernetesApi(t);
  api.setLogs('shop', 'web-1', 'app', ['2026-03-10T11:59:00Z started', '2026-03-10T12:00:00Z GET / 200']);
  api.setMetrics('shop', 'web-1', { timestamp: '2026-03-10T12:00:00Z', containers: [{ name: 'app', usage: { cpu: '250m', memory: '128Mi' } }] });
  const adapter = new KubernetesAdapter({ apiServer: api.url, token: api.token });
  const ref = { externalId: 'uid-web-1/app', name: 'web-1/app', namespace: 'shop' };
  t.same(await adapter.logs(ref, { tail: 1, since: new Date('2026-03-10T11:00:00Z') }), [
    { stream: 'stdout', at: '2026-03-10T12:00:00Z', message: 'GET / 200' },
  ]);
  t.ok(
    api.requests.some((r) => r.includes('tailLines=1') && r.includes('sinceTime=2026-03-10T11%3A00%3A00Z') && r.includes('container=app')),
    'tail and since go to the API server',
  );
  t.match(await adapter.stats(ref), { cpuPercent: 25, memoryBytes: 128 * 2 ** 20, at: new Date('2026-03-10T12:00:00Z') });
  t.equal(await adapter.stats({ ...ref, name: 'gone/app' }), null);
  t.equal(parseQuantity('12345678n'), 0.012345678);
  t.equal(parseQuantity('1Gi'), 2 ** 30);
});

async function waitFor(condition: () => boolean, ms = 5000) {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
