import { randomUUID } from 'node:crypto';
import t from 'tap';
import { call, eventually } from '../../../core/plugin-api/testing.ts';
import { startAutomation } from '../automation.testkit.ts';
import { fakeControlPlane } from './control-plane.testkit.ts';
import { sha256Signature } from './hmac-signature.ts';

const secret = 'control-plane-secret-0123456789';

async function world(t: Parameters<typeof startAutomation>[0]) {
  const plane = await fakeControlPlane(t);
  const w = await startAutomation(t, {
    env: {
      ITOPS_AUTOMATION_CONTROL_PLANE_URL: plane.url,
      ITOPS_AUTOMATION_CONTROL_PLANE_SECRET: secret,
      // The fake control plane listens on loopback, which the outbound guard refuses otherwise.
      ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true',
    },
  });
  /** Posts a callback as the control plane does: exact bytes, signed, with a delivery id. */
  const callback = (body: unknown, headers: Record<string, string> = {}, sign = secret) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    return call(w.kernel, 'POST', '/api/v1/webhooks/workflow-completed', {
      raw,
      headers: { 'content-type': 'application/json', 'x-agentfield-signature': sha256Signature(sign, raw), 'x-agentfield-delivery': randomUUID(), ...headers },
    });
  };
  return { ...w, plane, callback };
}

t.test('a run the control plane takes completes when its signed callback arrives', async (t) => {
  const w = await world(t);
  const events: { topic: string; tenantId: string | null; payload: any }[] = [];
  w.kernel.events.subscribe((e) => events.push(e as any));

  const started = await w.write('POST', '/api/v1/execute/remediator.restart_service', w.acmeOperator, { input: { service: 'nginx' } });
  t.equal(started.status, 202, started.text);
  t.match(started.json, { target: 'remediator.restart_service', executor: 'control_plane', status: 'running', completedAt: null });

  t.equal(w.plane.runs.length, 1, 'the control plane got the run');
  const [sent] = w.plane.runs;
  t.equal(sent.headers['x-agentfield-signature'], sha256Signature(secret, sent.raw), 'what we send is signed with the shared secret');
  t.match(sent.body, { executionId: started.json.id, target: 'remediator.restart_service', workspaceId: 'acme', input: { service: 'nginx' } });
  t.match(sent.body.callbackUrl, /\/api\/v1\/webhooks\/workflow-completed$/);

  // The control plane calls back on the URL it was given, over real HTTP.
  const raw = JSON.stringify({ executionId: started.json.id, status: 'succeeded', result: { restarted: true } });
  const delivery = randomUUID();
  const headers = { 'content-type': 'application/json', 'x-agentfield-signature': sha256Signature(secret, raw), 'x-agentfield-delivery': delivery };
  const done = await fetch(sent.body.callbackUrl, { method: 'POST', headers, body: raw });
  t.equal(done.status, 200, await done.clone().text());
  t.same(await done.json(), { executionId: started.json.id, status: 'succeeded' });

  const run = await w.read(`/api/v1/agent-runs/${started.json.id}`, w.acmeViewer);
  t.match(run.json, { status: 'succeeded', result: { restarted: true }, completedAt: String, durationMs: Number });
  const event = await eventually(() => events.find((e) => e.topic === 'automation.agent_run_completed' && e.payload.runId === started.json.id));
  t.match(event, { tenantId: 'acme', payload: { status: 'succeeded', target: 'remediator.restart_service' } });

  const replay = await fetch(sent.body.callbackUrl, { method: 'POST', headers, body: raw });
  t.equal(replay.status, 409, 'a delivery seen before is refused');
  t.match(await replay.json(), { error: { code: 'conflict', correlationId: String } });
  const again = await w.callback({ executionId: started.json.id, status: 'failed', error: { message: 'late' } });
  t.equal(again.status, 409, 'a run ends once: a later outcome is refused');
  t.match((await w.read(`/api/v1/agent-runs/${started.json.id}`, w.acmeViewer)).json, { status: 'succeeded' });
});

t.test('callbacks: signature, delivery header, body, unknown run; a failure outcome; a refusing control plane', async (t) => {
  const w = await world(t);
  const started = await w.write('POST', '/api/v1/execute/remediator.collect_logs', w.acmeOperator, { input: {} });
  t.equal(started.status, 202, started.text);
  const body = { executionId: started.json.id, status: 'failed', error: { code: 'agent_crashed', message: 'out of memory' } };

  const forged = await w.callback(body, {}, 'some-other-secret-0123456789');
  t.equal(forged.status, 401, 'signed with another secret');
  t.match(forged.json, { error: { code: 'unauthorized' } });
  const unsigned = await call(w.kernel, 'POST', '/api/v1/webhooks/workflow-completed', {
    raw: JSON.stringify(body),
    headers: { 'content-type': 'application/json', 'x-agentfield-delivery': randomUUID() },
  });
  t.equal(unsigned.status, 401, 'no signature while the secret is configured');
  const raw = JSON.stringify(body);
  const tampered = await call(w.kernel, 'POST', '/api/v1/webhooks/workflow-completed', {
    raw: raw.replace('out of memory', 'all fine'),
    headers: { 'content-type': 'application/json', 'x-agentfield-signature': sha256Signature(secret, raw), 'x-agentfield-delivery': randomUUID() },
  });
  t.equal(tampered.status, 401, 'the signature covers the exact bytes');
  const noDelivery = await call(w.kernel, 'POST', '/api/v1/webhooks/workflow-completed', {
    raw,
    headers: { 'content-type': 'application/json', 'x-agentfield-signature': sha256Signature(secret, raw) },
  });
  t.equal(noDelivery.status, 400, 'signed callbacks carry a delivery id');
  t.match(noDelivery.json, { error: { code: 'bad_request' } });
  t.equal((await w.callback('{not json')).status, 400, 'not JSON');
  t.equal((await w.callback({ executionId: started.json.id, status: 'maybe' })).status, 400, 'unknown status');
  t.equal((await w.callback({ executionId: randomUUID(), status: 'succeeded' })).status, 404, 'no such run');
  t.match((await w.read(`/api/v1/agent-runs/${started.json.id}`, w.acmeViewer)).json, { status: 'running' }, 'refused callbacks changed nothing');

  const failed = await w.callback(body);
  t.equal(failed.status, 200, failed.text);
  t.match((await w.read(`/api/v1/agent-runs/${started.json.id}`, w.acmeViewer)).json, {
    status: 'failed',
    failureCode: 'agent_crashed',
    failureMessage: 'out of memory',
  });

  const builtin = await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: { message: 'local' } });
  t.equal(builtin.json.executor, 'builtin', 'a built-in capability never goes to the control plane');
  t.equal((await w.callback({ executionId: builtin.json.id, status: 'failed' })).status, 404, 'callbacks only complete control-plane runs');

  w.plane.state.status = 503;
  const refused = await w.write('POST', '/api/v1/execute/remediator.restart_service', w.acmeOperator, { input: {} });
  t.equal(refused.status, 200, refused.text);
  t.match(refused.json, { status: 'failed', failureCode: 'control_plane_refused', failureMessage: /503/ });

  t.equal((await w.write('POST', '/api/v1/execute/remediator.restart_service', w.acmeViewer, { input: {} })).status, 403);
  const foreign = await w.read(`/api/v1/agent-runs/${started.json.id}`, w.globexAdmin);
  t.equal(foreign.status, 404, "another workspace's control-plane run");
});

t.test('a run the control plane never completes ends timed out at its deadline; a late callback is refused', async (t) => {
  const w = await world(t);
  const started = await w.write('POST', '/api/v1/execute/remediator.restart_service', w.acmeOperator, { input: {}, timeoutSeconds: 1 });
  t.equal(started.status, 202, started.text);
  // The deadline sweep runs about every 15 s on one node.
  const ended = await eventually(
    async () => {
      const run = await w.read(`/api/v1/agent-runs/${started.json.id}`, w.acmeViewer);
      return run.json.status === 'running' ? undefined : run.json;
    },
    40_000,
    250,
  );
  t.match(ended, { status: 'timed_out', failureCode: 'timed_out', completedAt: String });
  const late = await w.callback({ executionId: started.json.id, status: 'succeeded', result: {} });
  t.equal(late.status, 409, 'the run already ended');
  t.match((await w.read(`/api/v1/agent-runs/${started.json.id}`, w.acmeViewer)).json, { status: 'timed_out' });
});

t.test('without a configured secret, callbacks need no signature (the seed rule), and still complete only control-plane runs', async (t) => {
  const plane = await fakeControlPlane(t);
  const w = await startAutomation(t, { env: { ITOPS_AUTOMATION_CONTROL_PLANE_URL: plane.url, ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true' } });
  const started = await w.write('POST', '/api/v1/execute/remediator.restart_service', w.acmeOperator, { input: {} });
  t.equal(started.status, 202, started.text);
  t.notOk(plane.runs[0].headers['x-agentfield-signature'], 'nothing to sign with');
  const done = await call(w.kernel, 'POST', '/api/v1/webhooks/workflow-completed', {
    raw: JSON.stringify({ executionId: started.json.id, status: 'succeeded', result: { ok: 1 } }),
    headers: { 'content-type': 'application/json' },
  });
  t.equal(done.status, 200, done.text);
  t.match((await w.read(`/api/v1/agent-runs/${started.json.id}`, w.acmeViewer)).json, { status: 'succeeded', result: { ok: 1 } });
  const agents = await w.read('/api/v1/agent-runtime/agents', w.acmeViewer);
  t.match(agents.json, {
    controlPlane: { configured: true, signed: false },
    data: [{ name: 'automation.echo' }, { name: 'remediator.restart_service', executor: 'control_plane', runs: { succeeded: 1 } }],
  });
});
