import { randomUUID } from 'node:crypto';
import t from 'tap';
import { eventually } from '../../../core/plugin-api/testing.ts';
import { startAutomation } from '../automation.testkit.ts';

const definition = {
  name: 'Restart on alert',
  description: 'Calls the restart hook',
  trigger: { type: 'manual' },
  steps: [
    { id: 'pick', type: 'SET_VARIABLE', variable: 'service', value: '{{ $.input.service }}' },
    {
      id: 'restart',
      type: 'HTTP_REQUEST',
      url: 'https://hooks.example.test/restart/{{ $.vars.service }}',
      method: 'POST',
      body: { service: '{{ $.vars.service }}' },
    },
  ],
};

t.test('workflows: the resource pattern, a new version on every change, bad input, auth, other workspace', async (t) => {
  const w = await startAutomation(t);
  const created = await w.write('POST', '/api/v1/workflows', w.acmeOps, definition);
  t.equal(created.status, 201, created.text);
  t.match(created.json, { ...definition, enabled: true, version: 1, nextRunAt: null });
  const id = created.json.id;

  const list = await w.read('/api/v1/workflows?q=restart', w.acmeViewer);
  t.equal(list.status, 200);
  t.match(list.json, { page: { total: 1, returned: 1 }, data: [{ id, name: 'Restart on alert' }] });
  t.equal((await w.read(`/api/v1/workflows/${id}`, w.acmeOperator)).json.version, 1, 'automation operators read workflows');

  const patched = await w.write('PATCH', `/api/v1/workflows/${id}`, w.acmeOps, { version: 1, enabled: false });
  t.match(patched.json, { enabled: false, version: 2, name: 'Restart on alert' });
  const replaced = await w.write('PUT', `/api/v1/workflows/${id}`, w.acmeOps, { ...definition, name: 'Restart', version: 2 });
  t.match(replaced.json, { name: 'Restart', enabled: true, version: 3 });
  const stale = await w.write('PUT', `/api/v1/workflows/${id}`, w.acmeOps, { ...definition, version: 1 });
  t.equal(stale.status, 409);
  t.match(stale.json, { error: { code: 'conflict', details: { currentVersion: 3 } } });
  t.equal((await w.write('POST', '/api/v1/workflows', w.acmeOps, { ...definition, name: 'restart' })).status, 409, 'names are unique in a workspace');
  const versions = await w.read(`/api/v1/workflows/${id}/versions`, w.acmeViewer);
  t.equal(versions.status, 200, versions.text);
  t.match(versions.json, {
    page: { total: 3 },
    data: [{ version: 3, name: 'Restart', createdBy: 'olivia@acme.test' }, { version: 2 }, { version: 1, name: 'Restart on alert' }],
  });
  t.equal((await w.read(`/api/v1/workflows/${id}/versions`, w.globexAdmin)).status, 404);
  t.equal((await w.read(`/api/v1/workflows/${id}/versions`, { headers: {} })).status, 401);
  t.equal((await w.read(`/api/v1/workflows/${id}/versions?limit=0`, w.acmeOps)).status, 400);

  // Cron triggers know their next run.
  const cron = await w.write('POST', '/api/v1/workflows', w.acmeOps, { ...definition, name: 'Nightly', trigger: { type: 'cron', schedule: '0 3 * * *' } });
  t.equal(cron.status, 201, cron.text);
  t.match(cron.json.nextRunAt, /T03:00:00\.000Z$/);

  t.equal((await w.read('/api/v1/workflows', { headers: {} })).status, 401);
  const forbidden = await w.write('POST', '/api/v1/workflows', w.acmeViewer, definition);
  t.equal(forbidden.status, 403);
  t.equal(forbidden.json.error.code, 'forbidden');
  t.equal((await w.write('PATCH', `/api/v1/workflows/${id}`, w.acmeOperator, { version: 3, enabled: false })).status, 403, 'operators run, not edit');
  const foreign = await w.read(`/api/v1/workflows/${id}`, w.globexAdmin);
  t.equal(foreign.status, 404);
  t.equal(foreign.json.error.code, 'not_found');
  t.equal((await w.write('DELETE', `/api/v1/workflows/${id}`, w.globexAdmin)).status, 404);
  t.equal((await w.read('/api/v1/workflows', w.globexAdmin)).json.page.total, 0);

  t.equal((await w.write('DELETE', `/api/v1/workflows/${id}`, w.acmeOps)).status, 204);
  t.equal((await w.read(`/api/v1/workflows/${id}`, w.acmeOps)).status, 404);
});

t.test('definitions are validated: by the contract, and by what the contract cannot say', async (t) => {
  const w = await startAutomation(t);
  const refused = async (body: unknown, pattern: RegExp) => {
    const answer = await w.write('POST', '/api/v1/workflows', w.acmeOps, body);
    t.equal(answer.status, 400, answer.text);
    t.equal(answer.json.error.code, 'validation_failed');
    t.match(JSON.stringify(answer.json.error), pattern);
  };
  await refused({ ...definition, steps: [] }, /steps/);
  await refused({ ...definition, steps: [{ id: 'x', type: 'RUN_SHELL' }] }, /type/);
  await refused({ ...definition, trigger: { type: 'event' } }, /trigger.topic/);
  await refused({ ...definition, trigger: { type: 'cron', schedule: 'every day' } }, /trigger.schedule/);
  await refused({ ...definition, steps: [{ id: 'a', type: 'HTTP_REQUEST' }] }, /needs url/);
  await refused({ ...definition, steps: [definition.steps[1], definition.steps[1]] }, /used twice/);
  await refused({ ...definition, steps: [{ id: 'a', type: 'SET_VARIABLE', variable: 'v', value: '{{ $.steps.later.output }}' }] }, /names no earlier step/);
  await refused({ ...definition, steps: [{ id: 'a', type: 'SET_VARIABLE', variable: 'v', value: '{{ $.constructor }}' }] }, /must start with/);
  await refused({ ...definition, steps: [{ id: 'c', type: 'CONDITION', left: 1, op: 'eq', right: 1, else: 'nowhere' }] }, /else must be/);
  await refused({ ...definition, name: 'x'.repeat(201) }, /name/);
  const notify = (channel: string) => ({ ...definition, steps: [{ id: 'tell', type: 'NOTIFY', channel, message: 'hello' }] });
  await refused(notify('ops'), /channel/);
  await refused(notify(randomUUID()), /steps\[0\]\.channel.*no notification channel/);
  const foreign = await w.write('POST', '/api/v1/channels', w.globexAdmin, { name: 'ops', type: 'webhook', url: 'https://hooks.example.test/ops' });
  t.equal(foreign.status, 201, foreign.text);
  await refused(notify(foreign.json.id), /no notification channel/);
  const own = await w.write('POST', '/api/v1/channels', w.acmeAdmin, { name: 'ops', type: 'webhook', url: 'https://hooks.example.test/ops' });
  const saved = await w.write('POST', '/api/v1/workflows', w.acmeOps, { ...notify(own.json.id), name: 'Tell ops' });
  t.equal(saved.status, 201, saved.text);
  const renamed = await w.write('PATCH', `/api/v1/workflows/${saved.json.id}`, w.acmeOps, { version: 1, steps: notify(foreign.json.id).steps });
  t.equal(renamed.status, 400, 'a change is checked too');
  const event = await w.write('POST', '/api/v1/workflows', w.acmeOps, {
    ...definition,
    trigger: { type: 'event', topic: 'ticket.created', filter: { priority: 'urgent' } },
  });
  t.equal(event.status, 201, event.text);
});

t.test('a workflow with unfinished executions is not deleted (409) until they are cancelled or done', async (t) => {
  const w = await startAutomation(t, { env: { ITOPS_AUTOMATION_RESUME_AFTER_SECONDS: '1' } });
  const waits = { name: 'Wait an hour', trigger: { type: 'manual' }, steps: [{ id: 'wait', type: 'DELAY', seconds: 3600 }] };
  const created = await w.write('POST', '/api/v1/workflows', w.acmeOps, waits);
  t.equal(created.status, 201, created.text);
  const id = created.json.id;
  const run = await w.write('POST', `/api/v1/workflows/${id}/run`, w.acmeOps);
  t.equal(run.status, 202, run.text);
  const waiting = await eventually(async () => {
    const { json } = await w.read(`/api/v1/workflow-executions/${run.json.id}`, w.acmeOps);
    return json.status === 'waiting' ? json : undefined;
  });
  t.ok(waiting, 'the execution waits out its delay');

  const refused = await w.write('DELETE', `/api/v1/workflows/${id}`, w.acmeOps);
  t.equal(refused.status, 409, refused.text);
  t.match(refused.json, { error: { code: 'conflict', message: /unfinished execution/, details: { unfinishedExecutions: 1 }, correlationId: String } });
  t.equal((await w.read(`/api/v1/workflows/${id}`, w.acmeOps)).status, 200, 'the workflow is still there');
  t.equal((await w.read(`/api/v1/workflows/${id}/versions`, w.acmeOps)).json.page.total, 1, 'with its versions');

  t.equal((await w.write('POST', `/api/v1/workflow-executions/${run.json.id}/cancel`, w.acmeOps)).status, 200);
  t.equal((await w.write('DELETE', `/api/v1/workflows/${id}`, w.acmeOps)).status, 204, 'deleted once nothing runs it');
  const kept = await w.read(`/api/v1/workflow-executions/${run.json.id}`, w.acmeOps);
  t.equal(kept.status, 200, 'its executions stay readable');
  t.equal(kept.json.status, 'cancelled');
});

t.test('an execution whose workflow went before it finished fails once, instead of being resumed forever', async (t) => {
  const w = await startAutomation(t, { env: { ITOPS_AUTOMATION_RESUME_AFTER_SECONDS: '1' } });
  // What a delete left behind before it was refused while executions ran: an execution without its versions.
  const id = randomUUID();
  await w.kernel.database.query(
    `INSERT INTO workflow_execution (id, tenant_id, workflow_id, workflow_version, workflow_name, status, trigger_kind, updated_at)
     VALUES (?, 'acme', ?, 1, 'Gone', 'waiting', 'manual', now() - interval '1 minute')`,
    [id, randomUUID()],
  );
  const ended = await eventually(async () => {
    const { json } = await w.read(`/api/v1/workflow-executions/${id}`, w.acmeOps);
    return json.status === 'failed' ? json : undefined;
  });
  t.match(ended, { status: 'failed', failureCode: 'workflow_deleted', failureMessage: /no longer exists/ });
});
