import { randomUUID } from 'node:crypto';
import t from 'tap';
import { call, eventually } from '../../../core/plugin-api/testing.ts';
import { startAutomation } from '../automation.testkit.ts';
import { sha256Signature } from '../webhooks/hmac-signature.ts';

const hooked = {
  name: 'Deploy hook',
  trigger: { type: 'webhook' },
  steps: [{ id: 'pick', type: 'SET_VARIABLE', variable: 'release', value: '{{ $.input.release }}' }],
  output: { release: '{{ $.vars.release }}' },
};

async function world(t: Parameters<typeof startAutomation>[0]) {
  const w = await startAutomation(t);
  const created = await w.write('POST', '/api/v1/workflows', w.acmeOps, hooked);
  if (created.status !== 201) throw new Error(`workflow: ${created.status} ${created.text}`);
  /** Calls the inbound URL as another system does: exact bytes, signed with the delivery id. */
  const deliver = (id: string, body: unknown, options: { secret?: string; delivery?: string; signature?: string } = {}) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const delivery = options.delivery ?? randomUUID();
    const signature = options.signature ?? sha256Signature(options.secret ?? created.json.webhook.secret, `${delivery}.${raw}`);
    return call(w.kernel, 'POST', `/api/v1/workflows/${id}/webhook`, {
      raw,
      headers: { 'content-type': 'application/json', 'x-itops-signature': signature, 'x-itops-delivery': delivery },
    });
  };
  return { ...w, workflow: created.json, deliver };
}

t.test('a signed delivery starts an execution with the body as input; the secret is shown once', async (t) => {
  const w = await world(t);
  t.match(w.workflow.webhook, { url: new RegExp(`/api/v1/workflows/${w.workflow.id}/webhook$`), secretRotatedAt: String, secret: /^whsec_/ });
  const read = await w.read(`/api/v1/workflows/${w.workflow.id}`, w.acmeViewer);
  t.match(read.json.webhook, { url: w.workflow.webhook.url, secretRotatedAt: w.workflow.webhook.secretRotatedAt });
  t.notOk('secret' in read.json.webhook, 'a read never shows the secret');
  t.notOk('secret' in (await w.read('/api/v1/workflows', w.acmeViewer)).json.data[0].webhook);

  const delivered = await w.deliver(w.workflow.id, { release: 'v1.2.3' });
  t.equal(delivered.status, 202, delivered.text);
  t.match(delivered.json, { executionId: String, workflowId: w.workflow.id, duplicate: false });
  const execution = await eventually(async () => {
    const { json } = await w.read(`/api/v1/workflow-executions/${delivered.json.executionId}`, w.acmeOps);
    return json.status === 'succeeded' ? json : undefined;
  });
  t.match(execution, { triggerKind: 'webhook', input: { release: 'v1.2.3' }, output: { release: 'v1.2.3' } });
});

t.test('bad signatures, replayed deliveries, unknown workflows, bad bodies', async (t) => {
  const w = await world(t);
  const executions = async () => (await w.read(`/api/v1/workflow-executions?workflowId=${w.workflow.id}`, w.acmeOps)).json.page.total;
  const secretReads = async () =>
    Number((await w.kernel.database.platform.query<{ n: string }>("SELECT count(*) AS n FROM event_outbox WHERE topic = 'secrets.read'"))[0].n);
  const readsBefore = await secretReads();

  const wrongSecret = await w.deliver(w.workflow.id, { release: 'x' }, { secret: 'whsec_not-the-secret' });
  t.equal(wrongSecret.status, 401, wrongSecret.text);
  t.match(wrongSecret.json, { error: { code: 'unauthorized', correlationId: String } });
  const body = JSON.stringify({ release: 'x' });
  const signedForAnother = sha256Signature(w.workflow.webhook.secret, `other-delivery.${body}`);
  t.equal(
    (await w.deliver(w.workflow.id, body, { delivery: 'this-delivery', signature: signedForAnother })).status,
    401,
    'the signature covers the delivery id',
  );
  t.equal((await w.deliver(w.workflow.id, body, { signature: 'sha256=00' })).status, 401);
  const unsigned = await call(w.kernel, 'POST', `/api/v1/workflows/${w.workflow.id}/webhook`, {
    raw: body,
    headers: { 'content-type': 'application/json', 'x-itops-delivery': randomUUID() },
  });
  t.equal(unsigned.status, 400, 'the signature header is required');
  t.equal(await executions(), 0, 'nothing started');
  t.equal(await secretReads(), readsBefore, 'checking a signature records no secret read: callers without credentials cannot grow the audit trail');

  const first = await w.deliver(w.workflow.id, { release: 'v2' }, { delivery: 'delivery-1' });
  t.equal(first.status, 202, first.text);
  const replayed = await w.deliver(w.workflow.id, { release: 'v2' }, { delivery: 'delivery-1' });
  t.equal(replayed.status, 200, replayed.text);
  t.match(replayed.json, { executionId: first.json.executionId, duplicate: true });
  t.equal(await executions(), 1, 'a replayed delivery starts nothing new');

  const unknown = await w.deliver(randomUUID(), { release: 'x' });
  t.equal(unknown.status, 404, unknown.text);
  t.equal(unknown.json.error.code, 'not_found');
  const manual = await w.write('POST', '/api/v1/workflows', w.acmeOps, { ...hooked, name: 'By hand', trigger: { type: 'manual' } });
  t.notOk('webhook' in manual.json, 'only webhook triggers have an inbound URL');
  t.equal((await w.deliver(manual.json.id, { release: 'x' })).status, 404, 'nor does a workflow of another trigger answer');
  t.equal((await w.deliver(w.workflow.id, '[1, 2]')).status, 400, 'the body is a JSON object');
  t.equal((await w.deliver(w.workflow.id, 'not json')).status, 400);
});

t.test('rotation: a new secret once, the old one refused; permissions and other workspaces', async (t) => {
  const w = await world(t);
  const path = `/api/v1/workflows/${w.workflow.id}/webhook/rotate`;
  t.equal((await w.write('POST', path, w.acmeViewer)).status, 403);
  t.equal((await w.write('POST', path, w.acmeOperator)).status, 403, 'operators run workflows, they do not hold their secrets');
  t.equal((await call(w.kernel, 'POST', path, { headers: {} })).status, 401);
  t.equal((await w.write('POST', path, w.globexAdmin)).status, 404, "another workspace's workflow does not exist for it");
  t.equal((await w.write('POST', '/api/v1/workflows/not-a-uuid/webhook/rotate', w.acmeOps)).status, 400);

  const rotated = await w.write('POST', path, w.acmeOps);
  t.equal(rotated.status, 200, rotated.text);
  t.match(rotated.json, { url: w.workflow.webhook.url, secret: /^whsec_/, secretRotatedAt: String });
  t.not(rotated.json.secret, w.workflow.webhook.secret);
  t.equal((await w.deliver(w.workflow.id, { release: 'old' })).status, 401, 'the old secret no longer signs');
  t.equal((await w.deliver(w.workflow.id, { release: 'new' }, { secret: rotated.json.secret })).status, 202);

  const manual = await w.write('POST', '/api/v1/workflows', w.acmeOps, { ...hooked, name: 'By hand', trigger: { type: 'manual' } });
  const refused = await w.write('POST', `/api/v1/workflows/${manual.json.id}/webhook/rotate`, w.acmeOps);
  t.equal(refused.status, 409, refused.text);
  t.equal(refused.json.error.code, 'conflict');
  // Switched to a webhook trigger, it gets its secret in that change's response.
  const switched = await w.write('PATCH', `/api/v1/workflows/${manual.json.id}`, w.acmeOps, { version: 1, trigger: { type: 'webhook' } });
  t.match(switched.json.webhook, { secret: /^whsec_/ });
});
