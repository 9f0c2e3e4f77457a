import t from 'tap';
import { call, eventually } from '../../../core/plugin-api/testing.ts';
import { startAutomation } from '../automation.testkit.ts';

t.test('a built-in capability runs within the request and its run is recorded and published', async (t) => {
  const w = await startAutomation(t);
  const events: { topic: string; tenantId: string | null; payload: any }[] = [];
  w.kernel.events.subscribe((e) => events.push(e as any));

  const ran = await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: { message: 'hello' } });
  t.equal(ran.status, 200, ran.text);
  t.match(ran.json, {
    target: 'automation.echo',
    executor: 'builtin',
    status: 'succeeded',
    result: { message: 'hello' },
    failureCode: null,
    durationMs: Number,
  });
  t.equal(ran.json.result.runId, ran.json.id, 'the capability saw its run');
  const fetched = await w.read(`/api/v1/agent-runs/${ran.json.id}`, w.acmeViewer);
  t.equal(fetched.status, 200, fetched.text);
  t.same(fetched.json, ran.json, 'the run reads back as answered');
  const event = await eventually(() => events.find((e) => e.topic === 'automation.agent_run_completed' && e.payload.runId === ran.json.id));
  t.match(event, { tenantId: 'acme', payload: { target: 'automation.echo', status: 'succeeded' } });

  const byOps = await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOps, { input: { message: 'ops may run agents too' } });
  t.equal(byOps.status, 200, 'ops engineers hold execution access');

  const failed = await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: { message: 'boom', fail: true } });
  t.equal(failed.status, 200, failed.text);
  t.match(failed.json, { status: 'failed', failureCode: 'capability_failed', failureMessage: /boom/, result: null });

  const slow = await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: { message: 'slow', delayMs: 5000 }, timeoutSeconds: 1 });
  t.equal(slow.status, 200, slow.text);
  t.match(slow.json, { status: 'timed_out', failureCode: 'timed_out' }, 'the deadline ends a capability that runs too long');
});

t.test('execute: bad input, unknown capability, no auth, wrong role, other workspace', async (t) => {
  const w = await startAutomation(t);
  const missing = await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: { delayMs: 1 } });
  t.equal(missing.status, 400, "the capability's input schema is enforced");
  t.match(missing.json, { error: { code: 'validation_failed', correlationId: String } });
  t.equal((await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: 'text' })).status, 400, 'input must be an object');
  t.equal((await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: {}, timeoutSeconds: 0 })).status, 400);
  t.equal((await w.write('POST', '/api/v1/execute/Bad.echo', w.acmeOperator, { input: {} })).status, 400, 'names are lower case');

  const unknown = await w.write('POST', '/api/v1/execute/nobody.nothing', w.acmeOperator, { input: {} });
  t.equal(unknown.status, 404, 'no such capability and no control plane');
  t.match(unknown.json, { error: { code: 'not_found' } });

  const anonymous = await w.write('POST', '/api/v1/execute/automation.echo', { headers: {} }, { input: { message: 'x' } });
  t.equal(anonymous.status, 401);
  t.match(anonymous.json, { error: { code: 'unauthorized' } });
  const viewer = await w.write('POST', '/api/v1/execute/automation.echo', w.acmeViewer, { input: { message: 'x' } });
  t.equal(viewer.status, 403, 'viewers cannot execute agents');
  t.match(viewer.json, { error: { code: 'forbidden' } });

  const ran = await w.write('POST', '/api/v1/execute/automation.echo', w.acmeOperator, { input: { message: 'mine' } });
  const foreign = await w.read(`/api/v1/agent-runs/${ran.json.id}`, w.globexAdmin);
  t.equal(foreign.status, 404, "another workspace's run is not found");
  t.match(foreign.json, { error: { code: 'not_found' } });
  t.equal((await w.read('/api/v1/agent-runs/not-a-uuid', w.acmeViewer)).status, 400);
  t.equal((await w.read(`/api/v1/agent-runs/${ran.json.id}`, { headers: {} })).status, 401);
  t.equal((await w.read(`/api/v1/agent-runs/${ran.json.id}`, w.acmeBilling)).status, 403, 'billing does not see agent runs');
  t.equal((await w.write('POST', '/api/v1/execute/automation.echo', w.acmeBilling, { input: { message: 'x' } })).status, 403);
  const unkeyed = await call(w.kernel, 'POST', '/api/v1/execute/automation.echo', { headers: w.acmeOperator.headers, body: { input: { message: 'no key' } } });
  t.equal(unkeyed.status, 400, 'execute requires an Idempotency-Key');
});
