import t from 'tap';
import { eventually, servicesProbe } from '../../../core/plugin-api/testing.ts';
import { startAutomation, targetServer } from '../automation.testkit.ts';

type World = Awaited<ReturnType<typeof startAutomation>>;

const finished = (w: World, id: string) =>
  eventually(async () => {
    const { json } = await w.read(`/api/v1/workflow-executions/${id}`, w.acmeOps);
    return ['succeeded', 'failed', 'cancelled'].includes(json.status) ? json : undefined;
  });

t.test('a manual run: steps pass values along, the timeline and refs are kept, workflow.completed follows', async (t) => {
  const target = await targetServer(t, (request) => ({ status: 200, body: { echoed: JSON.parse(request.body || '{}'), restarted: true } }));
  const receiver = await targetServer(t);
  const probe = servicesProbe();
  const w = await startAutomation(t, { plugins: [probe.plugin] });
  const events: any[] = [];
  probe.services().events.subscribe((event) => events.push(event));
  const channel = await w.write('POST', '/api/v1/channels', w.acmeAdmin, { name: 'ops', type: 'webhook', url: `${receiver.url}/ops` });
  t.equal(channel.status, 201, channel.text);
  const created = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Restart',
    trigger: { type: 'manual' },
    steps: [
      { id: 'pick', type: 'SET_VARIABLE', variable: 'service', value: '{{ $.input.service }}' },
      {
        id: 'restart',
        type: 'HTTP_REQUEST',
        url: `${target.url}/restart/{{ $.vars.service }}`,
        method: 'POST',
        body: { service: '{{ $.vars.service }}', count: '{{ $.input.count }}' },
      },
      { id: 'check', type: 'CONDITION', left: '{{ $.steps.restart.output.body.restarted }}', op: 'eq', right: true, else: 'end' },
      {
        id: 'tell',
        type: 'NOTIFY',
        name: 'Tell ops',
        channel: channel.json.id,
        severity: 'warning',
        message: 'Restarted {{ $.vars.service }} ({{ $.steps.restart.output.status }})',
      },
    ],
    output: { service: '{{ $.vars.service }}', status: '{{ $.steps.restart.output.status }}' },
  });
  t.equal(created.status, 201, created.text);

  const run = await w.write('POST', `/api/v1/workflows/${created.json.id}/run`, w.acmeOperator, { input: { service: 'db', count: 3 } });
  t.equal(run.status, 202, run.text);
  t.match(run.json, { workflowId: created.json.id, workflowVersion: 1, triggerKind: 'manual', retryCount: 0, failureCode: null });
  t.ok(['queued', 'running', 'succeeded'].includes(run.json.status));
  const execution = await finished(w, run.json.id);
  t.match(execution, {
    status: 'succeeded',
    output: { service: 'db', status: 200 },
    input: { service: 'db', count: 3 },
    inputRef: new RegExp(`/api/v1/workflow-executions/${run.json.id}#/input$`),
    outputRef: /#\/output$/,
    evidenceRef: /#\/steps$/,
    failureCode: null,
    retryCount: 0,
  });
  t.type(execution.durationMs, 'number');
  t.same(
    execution.steps.map((s: any) => [s.stepId, s.status, s.attempt]),
    [
      ['pick', 'succeeded', 1],
      ['restart', 'succeeded', 1],
      ['check', 'succeeded', 1],
      ['tell', 'succeeded', 1],
    ],
  );
  t.same(
    target.received.map((r) => [r.method, r.path, JSON.parse(r.body)]),
    [['POST', '/restart/db', { service: 'db', count: 3 }]],
  );
  t.match(execution.steps[3].output, { channel: channel.json.id, message: 'Restarted db (200)' });
  // The NOTIFY step reached the channel's receiver, in the webhook channel's format.
  const delivered = await eventually(() => receiver.received.find((r) => r.path === '/ops'));
  t.same(JSON.parse(delivered?.body ?? '{}'), {
    type: 'notification',
    channel: 'ops',
    source: 'automation',
    severity: 'warning',
    title: 'Restart: Tell ops',
    message: 'Restarted db (200)',
  });
  t.equal(receiver.received.length, 1, 'once');

  const list = await w.read(`/api/v1/workflow-executions?workflowId=${created.json.id}&status=succeeded`, w.acmeViewer);
  t.equal(list.status, 200);
  t.match(list.json, { page: { total: 1 }, data: [{ id: run.json.id, status: 'succeeded' }], filters: { status: 'succeeded' } });
  const completed = await eventually(() => events.find((e) => e.topic === 'workflow.completed'));
  t.match(completed, { tenantId: 'acme', payload: { executionId: run.json.id, workflowId: created.json.id, status: 'succeeded', failureCode: null } });
  t.match(
    events.find((e) => e.topic === 'workflow.notification'),
    { tenantId: 'acme', payload: { executionId: run.json.id, stepId: 'tell', channel: channel.json.id, message: 'Restarted db (200)' } },
  );
  t.notOk(events.find((e) => e.topic === 'pipeline.failed'));
});

t.test('a failing step is retried by its policy, then fails the execution; retry runs again from the failed step', async (t) => {
  let healthy = false;
  const target = await targetServer(t, (request) =>
    request.path === '/flaky' && !healthy ? { status: 503, body: { down: true } } : { status: 200, body: { ok: 1 } },
  );
  const probe = servicesProbe();
  const w = await startAutomation(t, { plugins: [probe.plugin] });
  const heard: any[] = [];
  probe.services().events.subscribe((event) => heard.push(event));
  const { json: workflow } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Flaky',
    trigger: { type: 'webhook' },
    steps: [
      { id: 'first', type: 'HTTP_REQUEST', url: `${target.url}/first` },
      { id: 'flaky', type: 'HTTP_REQUEST', url: `${target.url}/flaky`, retry: { limit: 2 } },
    ],
  });
  const run = await w.write('POST', `/api/v1/workflows/${workflow.id}/run`, w.acmeOperator);
  t.equal(run.json.triggerKind, 'webhook');
  const failed = await finished(w, run.json.id);
  t.match(failed, { status: 'failed', failureCode: 'http_status', failureMessage: /answered 503/, retryCount: 2, currentStep: 'flaky', outputRef: null });
  t.same(
    failed.steps.map((s: any) => [s.stepId, s.status, s.attempt]),
    [
      ['first', 'succeeded', 1],
      ['flaky', 'failed', 1],
      ['flaky', 'failed', 2],
      ['flaky', 'failed', 3],
    ],
  );
  t.equal(target.received.filter((r) => r.path === '/first').length, 1);
  const pipeline = await eventually(() => heard.find((e) => e.topic === 'pipeline.failed'));
  t.match(pipeline, { tenantId: 'acme', payload: { source: 'workflow', executionId: run.json.id, status: 'failed', failureCode: 'http_status' } });

  t.equal((await w.write('POST', `/api/v1/workflow-executions/${run.json.id}/cancel`, w.acmeOperator)).status, 409, 'a finished execution is not cancelled');
  healthy = true;
  const retried = await w.write('POST', `/api/v1/workflow-executions/${run.json.id}/retry`, w.acmeOperator);
  t.equal(retried.status, 202, retried.text);
  const done = await finished(w, run.json.id);
  t.match(done, { status: 'succeeded', retryCount: 3, failureCode: null });
  t.equal(target.received.filter((r) => r.path === '/first').length, 1, 'the steps before the failed one did not run again');
  t.same(done.steps.at(-1), { ...done.steps.at(-1), stepId: 'flaky', status: 'succeeded', attempt: 1 });
  t.equal((await w.write('POST', `/api/v1/workflow-executions/${run.json.id}/retry`, w.acmeOperator)).status, 409, 'only a failed execution is retried');
});

t.test('the outbound guard refuses private targets: the step fails without a request', async (t) => {
  const w = await startAutomation(t, { env: { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'false' } });
  const { json: workflow } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Metadata',
    trigger: { type: 'manual' },
    steps: [{ id: 'steal', type: 'HTTP_REQUEST', url: 'http://169.254.169.254/latest/meta-data/' }],
  });
  const run = await w.write('POST', `/api/v1/workflows/${workflow.id}/run`, w.acmeOps);
  t.match(await finished(w, run.json.id), { status: 'failed', failureCode: 'outbound_blocked' });
});

t.test('a DELAY parks the execution; cancel stops it before the next step', async (t) => {
  const target = await targetServer(t);
  const w = await startAutomation(t);
  const { json: workflow } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Later',
    trigger: { type: 'manual' },
    steps: [
      { id: 'wait', type: 'DELAY', seconds: 3600 },
      { id: 'call', type: 'HTTP_REQUEST', url: `${target.url}/later` },
    ],
  });
  const run = await w.write('POST', `/api/v1/workflows/${workflow.id}/run`, w.acmeOps);
  const waiting = await eventually(async () => {
    const { json } = await w.read(`/api/v1/workflow-executions/${run.json.id}`, w.acmeOps);
    return json.status === 'waiting' ? json : undefined;
  });
  t.match(waiting, { status: 'waiting', currentStep: 'call', steps: [{ stepId: 'wait', status: 'succeeded', output: { seconds: 3600 } }] });
  t.equal((await w.write('POST', `/api/v1/workflow-executions/${run.json.id}/cancel`, w.acmeViewer)).status, 403);
  t.equal((await w.write('POST', `/api/v1/workflow-executions/${run.json.id}/cancel`, w.globexAdmin)).status, 404);
  const cancelled = await w.write('POST', `/api/v1/workflow-executions/${run.json.id}/cancel`, w.acmeOperator);
  t.equal(cancelled.status, 200, cancelled.text);
  t.match(cancelled.json, { status: 'cancelled', completedAt: String });
  t.equal(target.received.length, 0, 'the step after the delay never ran');
});

t.test('a short DELAY and a retry delay resume on time; a step past its timeout fails with timeout', async (t) => {
  let calls = 0;
  const target = await targetServer(t, (request) => {
    if (request.path === '/hang') return new Promise(() => undefined);
    calls += 1;
    return calls === 1 ? { status: 500, body: { first: 'fails' } } : { status: 200, body: { ok: true } };
  });
  const w = await startAutomation(t);
  const { json: later } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Soon',
    trigger: { type: 'manual' },
    steps: [
      { id: 'wait', type: 'DELAY', seconds: 1 },
      { id: 'call', type: 'HTTP_REQUEST', url: `${target.url}/soon`, retry: { limit: 1, delayMs: 500 } },
    ],
  });
  const run = await w.write('POST', `/api/v1/workflows/${later.id}/run`, w.acmeOps);
  const done = await finished(w, run.json.id);
  t.match(done, { status: 'succeeded', retryCount: 1 });
  t.same(
    done.steps.map((s: any) => [s.stepId, s.status, s.attempt]),
    [
      ['wait', 'succeeded', 1],
      ['call', 'failed', 1],
      ['call', 'succeeded', 2],
    ],
  );
  t.ok(done.durationMs >= 1500, `it waited out the delay and the retry delay (${done.durationMs} ms)`);

  const { json: slow } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Slow',
    trigger: { type: 'manual' },
    steps: [{ id: 'hang', type: 'HTTP_REQUEST', url: `${target.url}/hang`, timeoutMs: 300 }],
  });
  const timedOut = await finished(w, (await w.write('POST', `/api/v1/workflows/${slow.id}/run`, w.acmeOps)).json.id);
  t.match(timedOut, { status: 'failed', failureCode: 'timeout', steps: [{ stepId: 'hang', status: 'failed', errorCode: 'timeout' }] });
});

t.test('executions: bad input, no auth, wrong role, other workspace', async (t) => {
  const w = await startAutomation(t);
  const { json: workflow } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Quick',
    trigger: { type: 'manual' },
    steps: [{ id: 'v', type: 'SET_VARIABLE', variable: 'x', value: 1 }],
  });
  const run = await w.write('POST', `/api/v1/workflows/${workflow.id}/run`, w.acmeOps, { input: { a: 1 } });
  await finished(w, run.json.id);
  const id = run.json.id;
  const bad = await w.read('/api/v1/workflow-executions?status=exploded', w.acmeOps);
  t.equal(bad.status, 400);
  t.equal(bad.json.error.code, 'validation_failed');
  t.equal((await w.read('/api/v1/workflow-executions/not-a-uuid', w.acmeOps)).status, 400);
  t.equal((await w.write('POST', `/api/v1/workflows/${workflow.id}/run`, w.acmeOps, { input: 'text' })).status, 400);
  t.equal((await w.read('/api/v1/workflow-executions', { headers: {} })).status, 401);
  t.equal((await w.read(`/api/v1/workflow-executions/${id}`, { headers: {} })).status, 401);
  t.equal((await w.write('POST', `/api/v1/workflow-executions/${id}/retry`, { headers: {} })).status, 401);
  t.equal((await w.write('POST', `/api/v1/workflows/${workflow.id}/run`, w.acmeViewer)).status, 403, 'viewers do not run workflows');
  const forbidden = await w.write('POST', `/api/v1/workflow-executions/${id}/retry`, w.acmeViewer);
  t.equal(forbidden.status, 403);
  t.equal(forbidden.json.error.code, 'forbidden');
  t.equal((await w.read(`/api/v1/workflow-executions/${id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('POST', `/api/v1/workflow-executions/${id}/retry`, w.globexAdmin)).status, 404);
  t.equal((await w.write('POST', `/api/v1/workflows/${workflow.id}/run`, w.globexAdmin)).status, 404);
  t.equal((await w.read('/api/v1/workflow-executions', w.globexAdmin)).json.page.total, 0);
  t.equal((await w.read(`/api/v1/workflow-executions/${id}`, w.acmeViewer)).status, 200, 'viewers read executions');
});

t.test('event and cron triggers start executions, once each', async (t) => {
  const probe = servicesProbe();
  const w = await startAutomation(t, { plugins: [probe.plugin] });
  const { json: onEvent } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'On failure',
    trigger: { type: 'event', topic: 'workflow.completed', filter: { status: 'failed' } },
    steps: [{ id: 'note', type: 'SET_VARIABLE', variable: 'failed', value: '{{ $.input.workflowName }}' }],
  });
  const { json: failing } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Fails',
    trigger: { type: 'manual' },
    steps: [{ id: 'nowhere', type: 'HTTP_REQUEST', url: 'http://127.0.0.1:1/', timeoutMs: 2000 }],
  });
  // The trigger cache of the node refreshes after the commit.
  await new Promise((done) => setTimeout(done, 300));
  const run = await w.write('POST', `/api/v1/workflows/${failing.id}/run`, w.acmeOps);
  t.match(await finished(w, run.json.id), { status: 'failed', failureCode: 'http_error' });
  const triggered = await eventually(async () => (await w.read(`/api/v1/workflow-executions?workflowId=${onEvent.id}`, w.acmeOps)).json.data[0]);
  t.match(triggered, { triggerKind: 'event' });
  t.match(await finished(w, triggered.id), { status: 'succeeded', output: { failed: 'Fails' } });
  t.equal((await w.read(`/api/v1/workflow-executions?workflowId=${onEvent.id}`, w.acmeOps)).json.page.total, 1, 'one execution for one event');

  const { json: cron } = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    name: 'Every minute',
    trigger: { type: 'cron', schedule: '* * * * *' },
    steps: [{ id: 'tick', type: 'SET_VARIABLE', variable: 'at', value: '{{ $.trigger.dueAt }}' }],
  });
  t.match(cron.nextRunAt, /:00\.000Z$/);
  // Not a minute's wait: the run falls due now.
  await probe.services().database.forTenant('acme').query("UPDATE workflow SET next_run_at = now() - interval '1 second' WHERE id = ?", [cron.id]);
  const ticked = await eventually(async () => (await w.read(`/api/v1/workflow-executions?workflowId=${cron.id}`, w.acmeOps)).json.data[0]);
  t.match(ticked, { triggerKind: 'cron' });
  t.match(await finished(w, ticked.id), { status: 'succeeded', output: { at: /Z$/ } });
  const { json: after } = await w.read(`/api/v1/workflows/${cron.id}`, w.acmeOps);
  t.ok(new Date(after.nextRunAt) > new Date(), 'the next run moved on');
  t.equal((await w.read(`/api/v1/workflow-executions?workflowId=${cron.id}`, w.acmeOps)).json.page.total, 1);
});
