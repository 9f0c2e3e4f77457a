import t from 'tap';
import { KubernetesAdapter } from '../runtime/kubernetes-adapter.ts';
import { pod, startKubernetesApi } from '../runtime/kubernetes-api.testkit.ts';
import { containerWorld, eventually } from './containers.testkit.ts';

t.test('a Kubernetes cluster: pods as containers grouped by namespace with their workloads, watched, and listed again after 410 Gone', async (t) => {
  const api = await startKubernetesApi(t);
  api.put('pods', pod('web-7d9f8c6b5-a', { deployment: 'web' }));
  api.put('pods', pod('web-7d9f8c6b5-b', { deployment: 'web' }));
  api.put('deployments', {
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-deploy-web' },
    spec: { replicas: 2 },
    status: { replicas: 2, readyReplicas: 2 },
  });
  const adapter = new KubernetesAdapter({ apiServer: api.url, token: api.token, callDeadlineMs: 2000, streamDeadlineMs: 2000 });
  const { get, listed } = await containerWorld(t, { adapter });
  const list = await listed((cs) => cs.length === 2);
  t.match(list.data[0], {
    name: 'web-7d9f8c6b5-a/app',
    source: 'kubernetes',
    namespace: 'shop',
    workloadKind: 'deployment',
    workloadName: 'web',
    group: 'namespace:shop',
    state: 'running',
    health: 'healthy',
  });
  t.same(list.groups, [
    {
      key: 'namespace:shop',
      kind: 'namespace',
      name: 'shop',
      total: 2,
      running: 2,
      stopped: 0,
      unhealthy: 0,
      workloads: [{ kind: 'deployment', name: 'web', replicas: 2, readyReplicas: 2 }],
    },
  ]);
  t.match((await get('/api/v1/runtime/status')).json, { runtime: 'kubernetes', connected: true, serverVersion: 'v1.31.2' });

  // A pod crash-loops: the watch carries it.
  await eventually(() => (api.watching() === 4 ? true : undefined));
  api.change('pods', 'MODIFIED', pod('web-7d9f8c6b5-a', { deployment: 'web', state: { waiting: { reason: 'CrashLoopBackOff' } }, restarts: 4 }));
  api.change('deployments', 'MODIFIED', {
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-deploy-web' },
    spec: { replicas: 2 },
    status: { replicas: 2, readyReplicas: 1 },
  });
  const crashing = await listed((cs) => cs.some((c) => c.state === 'restarting'));
  t.match(
    crashing.data.find((c: any) => c.name === 'web-7d9f8c6b5-a/app'),
    { state: 'restarting', restartCount: 4 },
  );
  t.match(crashing.groups[0].workloads, [{ name: 'web', readyReplicas: 1 }]);

  // The API server forgets old versions while no watch is open; a pod goes away meanwhile: the next round lists again.
  api.dropWatches();
  api.change('pods', 'DELETED', pod('web-7d9f8c6b5-b', { deployment: 'web' }));
  api.compact();
  const healed = await listed((cs) => cs.some((c) => c.name === 'web-7d9f8c6b5-b/app' && c.state === 'removed'));
  t.ok(healed, 'the pod deleted while the history was gone is removed by the new listing');
});
