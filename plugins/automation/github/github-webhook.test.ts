import { randomUUID } from 'node:crypto';
import t from 'tap';
import { call, eventually } from '../../../core/plugin-api/testing.ts';
import { sha256Signature } from '../webhooks/hmac-signature.ts';
import { acmeSecret, deploymentStatusPayload, githubWorld as world, pushPayload, releasePayload, workflowRunPayload } from './github-payloads.testkit.ts';

t.test('push, deployment_status, release and workflow_run become change events; a failed run publishes pipeline.failed', async (t) => {
  const w = await world(t);
  const events: { topic: string; tenantId: string | null; payload: any }[] = [];
  w.kernel.events.subscribe((e) => events.push(e as any));

  const push = await w.deliver('push', pushPayload);
  t.equal(push.status, 200, push.text);
  t.match(push.json, { event: 'push', stored: true, duplicate: false, changeEventId: String });
  t.equal((await w.deliver('deployment_status', deploymentStatusPayload)).status, 200);
  t.equal((await w.deliver('release', releasePayload)).status, 200);
  t.equal((await w.deliver('workflow_run', workflowRunPayload('success'))).status, 200);
  const failedRun = await w.deliver('workflow_run', workflowRunPayload('failure'));
  t.equal(failedRun.status, 200, failedRun.text);

  const list = await w.read('/api/v1/change-events?sortBy=occurredAt&sortOrder=asc', w.acmeViewer);
  t.equal(list.status, 200, list.text);
  t.equal(list.json.page.total, 5);
  t.match(list.json.data[0], {
    id: push.json.changeEventId,
    source: 'github',
    kind: 'push',
    repository: 'acme/shop',
    ref: 'refs/heads/main',
    sha: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    actor: 'octocat',
    title: 'Fix checkout timeout (OPS-42)',
    ticketKeys: ['OPS-42'],
    occurredAt: '2026-12-04T10:00:00.000Z',
  });
  const byKind = Object.fromEntries(list.json.data.map((e: any) => [`${e.kind}:${e.status}`, e]));
  t.match(byKind['deployment_status:success'], { environment: 'production', ticketKeys: ['SHOP-7'], url: 'https://ci.acme.test/deploy/1' });
  t.match(byKind['release:published'], { ref: 'v1.4.0', title: 'v1.4.0', ticketKeys: ['OPS-42'] });
  t.ok(byKind['workflow_run:success'] && byKind['workflow_run:failure'], 'both runs are recorded');
  const filtered = await w.read('/api/v1/change-events?kind=workflow_run', w.acmeViewer);
  t.equal(filtered.json.page.total, 2, 'filtered by kind');

  const failure = await eventually(() => events.find((e) => e.topic === 'pipeline.failed'));
  t.match(failure, {
    tenantId: 'acme',
    payload: { changeEventId: failedRun.json.changeEventId, repository: 'acme/shop', workflow: 'Build', conclusion: 'failure', ref: 'main' },
  });
  await eventually(() => events.filter((e) => e.topic === 'automation.change_recorded').length === 5 || undefined);
  t.equal(events.filter((e) => e.topic === 'pipeline.failed').length, 1, 'only the failed run is a failed pipeline');

  const ping = await w.deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 292430182, repository: pushPayload.repository });
  t.equal(ping.status, 202, 'other events are acknowledged, not stored');
  t.match(ping.json, { event: 'ping', stored: false });

  const foreign = await w.read('/api/v1/change-events', w.globexAdmin);
  t.equal(foreign.json.page.total, 0, "another workspace sees none of acme's changes");
  t.equal((await w.read('/api/v1/change-events', { headers: {} })).status, 401);
  const denied = await w.read('/api/v1/change-events', w.acmeBilling);
  t.equal(denied.status, 403, 'billing does not see change events');
  t.match(denied.json, { error: { code: 'forbidden' } });
  t.equal((await w.read('/api/v1/change-events?kind=commit', w.acmeViewer)).status, 400);
});

t.test('a redelivered X-GitHub-Delivery is stored once and publishes nothing again', async (t) => {
  const w = await world(t);
  const events: { topic: string }[] = [];
  w.kernel.events.subscribe((e) => events.push(e));
  const delivery = randomUUID();
  const first = await w.deliver('workflow_run', workflowRunPayload('failure'), { delivery });
  t.equal(first.status, 200, first.text);
  const again = await w.deliver('workflow_run', workflowRunPayload('failure'), { delivery });
  t.equal(again.status, 200, again.text);
  t.match(again.json, { duplicate: true, stored: true, changeEventId: first.json.changeEventId });
  t.equal((await w.read('/api/v1/change-events', w.acmeViewer)).json.page.total, 1);
  await eventually(() => events.find((e) => e.topic === 'pipeline.failed'));
  // A second publication would have been in the duplicate's transaction: it would be here by now too.
  await eventually(() => events.find((e) => e.topic === 'automation.change_recorded'));
  t.equal(events.filter((e) => e.topic === 'pipeline.failed').length, 1);
});

t.test('signatures, headers, workspaces and the switch', async (t) => {
  const w = await world(t);
  const secretReads = async () =>
    Number((await w.kernel.database.platform.query<{ n: string }>("SELECT count(*) AS n FROM event_outbox WHERE topic = 'secrets.read'"))[0].n);
  const readsBefore = await secretReads();
  const forged = await w.deliver('push', pushPayload, { secret: 'not-the-secret' });
  t.equal(forged.status, 401, 'signed with another secret');
  t.match(forged.json, { error: { code: 'unauthorized', correlationId: String } });
  const raw = JSON.stringify(pushPayload);
  const tampered = await call(w.kernel, 'POST', '/api/v1/integrations/github/webhook?workspace=acme', {
    raw: raw.replace('main', 'evil'),
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': sha256Signature(acmeSecret, raw),
    },
  });
  t.equal(tampered.status, 401, 'the signature covers the exact bytes');
  t.equal(await secretReads(), readsBefore, 'checking a signature records no secret read: callers without credentials cannot grow the audit trail');
  const unsigned = await call(w.kernel, 'POST', '/api/v1/integrations/github/webhook?workspace=acme', {
    raw,
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': randomUUID() },
  });
  t.equal(unsigned.status, 400, 'X-Hub-Signature-256 is required');
  const noDelivery = await call(w.kernel, 'POST', '/api/v1/integrations/github/webhook?workspace=acme', {
    raw,
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': sha256Signature(acmeSecret, raw) },
  });
  t.equal(noDelivery.status, 400, 'X-GitHub-Delivery is required');
  t.match(noDelivery.json, { error: { code: 'validation_failed' } });
  t.equal((await w.deliver('push', null, { raw: 'payload=%7B%7D' })).status, 400, 'a form-encoded delivery is refused: JSON only');

  const globex = await w.deliver('push', pushPayload, { workspace: 'globex' });
  t.equal(globex.status, 404, 'a workspace without a GitHub secret has no webhook');
  t.equal((await w.deliver('push', pushPayload, { workspace: 'nowhere' })).status, 404, 'nor does an unknown one');
  t.equal((await w.read('/api/v1/change-events', w.globexAdmin)).json.page.total, 0);
});

t.test('GITHUB_WEBHOOK_ENABLED=false (or ITOPS_AUTOMATION_GITHUB_WEBHOOK_ENABLED=false) answers 404', async (t) => {
  const off = await world(t, { ITOPS_AUTOMATION_GITHUB_WEBHOOK_ENABLED: 'false' });
  const refused = await off.deliver('push', pushPayload);
  t.equal(refused.status, 404, refused.text);
  t.match(refused.json, { error: { code: 'not_found' } });

  process.env.GITHUB_WEBHOOK_ENABLED = 'false';
  t.teardown(() => {
    delete process.env.GITHUB_WEBHOOK_ENABLED;
  });
  const seedName = await world(t);
  t.equal((await seedName.deliver('push', pushPayload)).status, 404, "the seed's variable name switches it off too");
  t.equal((await seedName.read('/api/v1/change-events', seedName.acmeViewer)).json.page.total, 0);
});
