import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { runAgent, syncOf } from '../runtime/container-agent.ts';
import { startDockerEngine } from '../runtime/docker-engine.testkit.ts';
import { containerWorld, eventually } from './containers.testkit.ts';

const shop = { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' };

t.test('agents pushing through the SLA operator API land in the same model', async (t) => {
  const { kernel, get, listed, acmeAdmin } = await containerWorld(t);
  const key = await call(kernel, 'POST', '/api/v1/apikeys', { headers: acmeAdmin.headers, body: { name: 'agent', scope: 'ingestion' } });
  const agent = { 'x-api-key': key.json.api_key as string };
  const sync = (status: string) => ({
    nodeId: 'edge-host-7',
    services: [{ name: 'billing', status, replicas: 2, readyReplicas: 2, workloadType: 'Deployment', namespace: 'finance' }],
  });
  t.equal((await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: sync('OPERATIONAL') })).status, 200);
  const list = await listed((cs) => cs.some((c) => c.source === 'agent'), '?source=agent');
  t.match(list.data[0], {
    name: 'billing',
    source: 'agent',
    state: 'running',
    health: 'healthy',
    namespace: 'finance',
    workloadKind: 'deployment',
    host: 'edge-host-7',
    group: 'namespace:finance',
  });
  t.equal((await call(kernel, 'POST', '/api/v1/operator/status', { headers: agent, body: sync('DOWN') })).status, 200);
  const billing = list.data[0];
  const moved = await eventually(async () => {
    const page = await get(`/api/v1/containers/${billing.id}/transitions`);
    return page.json.page.total >= 3 ? page.json : undefined;
  });
  t.match(
    moved?.data.filter((x: any) => x.kind === 'state'),
    [
      { from: 'running', to: 'exited' },
      { from: null, to: 'running' },
    ],
  );
  const status = await get('/api/v1/runtime/status');
  t.match(status.json.agents, [{ host: 'edge-host-7', containers: 1 }]);
  const logs = await get(`/api/v1/containers/${billing.id}/logs`);
  t.equal(logs.status, 409, 'an agent’s container has no logs here');
  t.match(logs.json, { error: { code: 'conflict', message: /agent/ } });
});

t.test('GET /api/v1/containers/events streams the workspace’s events of the seed’s table', async (t) => {
  const { kernel, engine, get, byName, acmeOps, globexAdmin } = await containerWorld(t);
  engine.add({ Id: 'web1', Name: 'shop-web-1', Labels: shop });
  const web = await byName('shop-web-1');
  const open = async (headers: Record<string, string>, query = '') => {
    const abort = new AbortController();
    t.teardown(() => abort.abort());
    const response = await fetch(`${kernel.url}/api/v1/containers/events${query}`, { headers, signal: abort.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const state = { text: '' };
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          state.text += Buffer.from(value).toString('utf8');
        }
      } catch {}
    })();
    return { response, state };
  };
  const acme = await open(acmeOps.headers, '?types=container.state_changed');
  const globex = await open(globexAdmin.headers);
  t.equal(acme.response.status, 200);
  t.match(acme.response.headers.get('content-type'), /text\/event-stream/);
  await new Promise((resolve) => setTimeout(resolve, 200));
  engine.emit('web1', 'die', { exitCode: '3' });
  engine.emit('web1', 'health_status: healthy');
  // The start the engine reported before the stream opened may still be on its way through the outbox: look for the exit.
  const exited = () => acme.state.text.split('\n\n').find((f) => f.includes('event: container.state_changed') && f.includes('"exited"'));
  const frame = await eventually(exited);
  t.ok(frame, 'the state change arrives');
  t.match(JSON.parse((frame as string).split('\ndata: ')[1]), {
    type: 'container.state_changed',
    data: { containerId: web.id, state: 'exited', previousState: 'running', exitCode: 3 },
  });
  t.notMatch(acme.state.text, /container\.health_changed/, 'types narrows the stream');
  t.equal(globex.state.text.includes('container.'), false, 'another workspace sees none of it');
  t.equal((await get('/api/v1/containers/events?types=container.exploded')).status, 400);
  t.equal((await call(kernel, 'GET', '/api/v1/containers/events')).status, 401);
});

t.test('the container agent pushes a host’s Docker containers with an endpoint_agent key, again on each event', async (t) => {
  const { kernel, get, listed, acmeAdmin } = await containerWorld(t);
  const host = await startDockerEngine(t);
  host.add({ Id: 'h-web', Name: 'web', Image: 'nginx:1.25.3', Labels: { 'com.docker.compose.project': 'edge' }, Health: 'healthy' });
  host.add({ Id: 'h-job', Name: 'backup', Image: 'alpine:3.19', Status: 'exited', ExitCode: 2 });
  const key = await call(kernel, 'POST', '/api/v1/apikeys', { headers: acmeAdmin.headers, body: { name: 'edge agent', scope: 'ingestion' } });
  t.equal(key.status, 201, key.text);
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const lines: string[] = [];
  const running = runAgent(
    { serverUrl: kernel.url, apiKey: key.json.api_key, nodeId: 'edge-host-1', dockerHost: host.host, intervalMs: 60_000, log: (m) => lines.push(m) },
    abort.signal,
  );
  const list = await listed((cs) => cs.filter((c) => c.source === 'agent').length === 2, '?source=agent');
  t.match(
    list.data.map((c: any) => [c.name, c.state, c.host]),
    [
      ['backup', 'exited', 'edge-host-1'],
      ['web', 'running', 'edge-host-1'],
    ],
  );
  t.match(
    list.data.find((c: any) => c.name === 'web'),
    { namespace: 'edge', group: 'namespace:edge', health: 'healthy' },
  );
  // The web container dies on the host: the agent pushes at once, not at its next interval.
  host.containers.get('h-web')!.Status = 'exited';
  host.emit('h-web', 'die', { exitCode: '1' });
  const down = await eventually(async () => {
    const page = (await get('/api/v1/containers?source=agent&state=exited')).json;
    return page.data.length === 2 ? page : undefined;
  });
  t.ok(down, 'the change arrived before the 60-second interval');
  abort.abort();
  await running;
  t.ok(
    lines.some((l) => l.startsWith('pushed 2 containers')),
    lines.join('; '),
  );
  t.same(syncOf('n', [{ ...list.data[0], name: '/weird name!', state: 'paused', health: null, composeProject: null, exitCode: null, image: 'x' }]).services, [
    { name: 'weird-name-', status: 'MAINTENANCE', workloadType: 'Container', message: 'x paused' },
  ]);
});
