import t from 'tap';
import { verifyWebhook, WebhookVerificationError } from '../../sdk/webhook-signature.ts';
import { call } from '../plugin-api/testing.ts';
import { eventually } from '../testing/eventually.ts';
import { type ReceivedRequest, type Reply, startReceiver } from '../testing/http-receiver.ts';
import { startWorld } from '../testing/identity-fixtures.ts';

const privateOk = { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_WEBHOOK_RETRY_BASE_SECONDS: '1' };
type Headers = Record<string, string>;
type Kernel = Awaited<ReturnType<typeof startWorld>>['kernel'];

const verifyReason = (secret: string | string[], request: ReceivedRequest) => {
  try {
    verifyWebhook(secret, request.headers as Headers, request.body);
    return 'verified';
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
};

/** The subscription's deliveries once `done` holds for the newest one. */
const deliveriesWhen = (kernel: Kernel, headers: Headers, id: string, done: (rows: any[]) => boolean): Promise<any[] | undefined> =>
  eventually(async () => {
    const rows = (await call(kernel, 'GET', `/api/v1/webhooks/${id}/deliveries`, { headers })).json.data;
    return done(rows) ? rows : undefined;
  });

t.test('PUT replaces and PATCH changes a subscription; a subscription disabled by 410 Gone is enabled again and delivers', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env: privateOk });
  const script: Reply[] = [{ status: 410 }];
  const receiver = await startReceiver(t, () => script.shift() ?? { status: 200 });
  const other = await startReceiver(t);
  const hook = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: receiver.url('/a'), topics: ['a.b'] } })).json;

  const put = await call(kernel, 'PUT', `/api/v1/webhooks/${hook.id}`, {
    headers: acmeAdmin.headers,
    body: { url: other.url('/b'), description: 'moved' },
  });
  t.equal(put.status, 200);
  t.match(put.json, { id: hook.id, url: other.url('/b'), topics: [], description: 'moved', enabled: true, disabledReason: null });
  t.notOk('secret' in put.json, 'the secret is not shown again');

  const patch = await call(kernel, 'PATCH', `/api/v1/webhooks/${hook.id}`, {
    headers: acmeAdmin.headers,
    body: { url: receiver.url('/a'), topics: ['heartbeat.pinged'] },
  });
  t.equal(patch.status, 200);
  t.match(patch.json, { url: receiver.url('/a'), topics: ['heartbeat.pinged'], description: 'moved', enabled: true }, 'fields left out keep their value');

  await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/test`, { headers: acmeAdmin.headers });
  const disabled = await eventually(async () => {
    const row = (await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers })).json.data[0];
    return row.enabled ? undefined : row;
  });
  t.match(disabled, { enabled: false, disabledReason: /410 Gone/ });
  t.equal(other.received.length, 0, 'the delivery went to the URL set by PATCH');

  const enabled = await call(kernel, 'PATCH', `/api/v1/webhooks/${hook.id}`, { headers: acmeAdmin.headers, body: { enabled: true } });
  t.equal(enabled.status, 200);
  t.match(enabled.json, { enabled: true, disabledReason: null }, 'enabling clears the reason');
  t.equal((await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/test`, { headers: acmeAdmin.headers })).status, 202);
  const rows = await deliveriesWhen(kernel, acmeAdmin.headers, hook.id, (r) => r[0]?.status === 'delivered');
  t.match(rows, [{ status: 'delivered' }, { status: 'failed', lastStatusCode: 410 }]);

  const paused = await call(kernel, 'PATCH', `/api/v1/webhooks/${hook.id}`, { headers: acmeAdmin.headers, body: { enabled: false } });
  t.match(paused.json, { enabled: false, disabledReason: 'disabled through the API' });
  t.equal((await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/test`, { headers: acmeAdmin.headers })).status, 409);
  const again = await call(kernel, 'PUT', `/api/v1/webhooks/${hook.id}`, { headers: acmeAdmin.headers, body: { url: receiver.url('/a') } });
  t.match(again.json, { enabled: true, disabledReason: null, topics: [], description: null }, 'PUT without enabled enables');
});

t.test('a rotated secret signs beside the new one for its grace period, then stops', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env: privateOk });
  const receiver = await startReceiver(t);
  const hook = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: receiver.url('/hook') } })).json;
  const first = hook.secret as string;
  const delivered = async () => {
    const before = receiver.received.length;
    await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/test`, { headers: acmeAdmin.headers });
    return (await eventually(() => receiver.received[before])) as ReceivedRequest;
  };

  const rotated = await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { headers: acmeAdmin.headers, body: { graceSeconds: 3600 } });
  t.equal(rotated.status, 200);
  t.match(rotated.json, { secret: /^whsec_/, previousSecretExpiresAt: String });
  const second = rotated.json.secret as string;
  t.not(second, first);
  const listed = (await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers })).json.data[0];
  t.equal(listed.previousSecretExpiresAt, rotated.json.previousSecretExpiresAt, 'the listing shows the grace period');

  const during = await delivered();
  t.equal(String(during.headers['webhook-signature']).split(' ').length, 2, 'two signatures during the grace period');
  t.equal(verifyReason(first, during), 'verified', 'a receiver still on the old secret verifies');
  t.equal(verifyReason(second, during), 'verified', 'a receiver on the new secret verifies');
  t.equal(verifyReason([second, first], during), 'verified');

  // A short grace period: the previous secret (`second`) ends a second from now.
  const short = await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { headers: acmeAdmin.headers, body: { graceSeconds: 1 } });
  const third = short.json.secret as string;
  const ends = new Date(short.json.previousSecretExpiresAt).getTime();
  await eventually(() => (Date.now() > ends + 200 ? true : undefined));
  const after = await delivered();
  t.equal(String(after.headers['webhook-signature']).split(' ').length, 1, 'one signature once the grace period is over');
  t.equal(verifyReason(third, after), 'verified');
  t.equal(verifyReason(second, after), 'no_matching_signature', 'the old secret is refused after its grace period');
  t.equal(verifyReason(first, after), 'no_matching_signature', 'so is the one before it');
  t.equal((await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers })).json.data[0].previousSecretExpiresAt, null);

  const immediate = await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { headers: acmeAdmin.headers, body: { graceSeconds: 0 } });
  const now = await delivered();
  t.equal(verifyReason(immediate.json.secret, now), 'verified');
  t.equal(verifyReason(third, now), 'no_matching_signature', 'graceSeconds 0 ends the old secret at once');
  t.equal((await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { headers: acmeAdmin.headers })).status, 200, 'the body is optional');
});

t.test('replay delivers one delivery again with the same webhook-id, or every failed delivery since a time', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env: privateOk });
  let failing = true;
  // Retry-After: 0 spends the six attempts at once, so a delivery fails without waiting out backoff.
  const receiver = await startReceiver(t, () => (failing ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 }));
  const hook = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: receiver.url('/hook') } })).json;
  const test = async () => (await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/test`, { headers: acmeAdmin.headers })).json;
  const failedNow = async (id: string) =>
    (await deliveriesWhen(kernel, acmeAdmin.headers, hook.id, (rows) => rows.find((d) => d.id === id)?.status === 'failed'))?.find((d) => d.id === id);

  const older = await test();
  t.match(await failedNow(older.id), { status: 'failed', attempts: 6 });
  const newer = await test();
  const newerFailed = await failedNow(newer.id);
  t.match(newerFailed, { status: 'failed', attempts: 6 });
  failing = false;

  const sinceNewer = await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/replay`, { headers: acmeAdmin.headers, body: { since: newerFailed.createdAt } });
  t.equal(sinceNewer.status, 202);
  t.same(sinceNewer.json, { replayed: 1 }, 'only the failure since the time');
  let rows = await deliveriesWhen(kernel, acmeAdmin.headers, hook.id, (r) => r.find((d) => d.id === newer.id)?.status === 'delivered');
  t.match(
    rows?.find((d) => d.id === newer.id),
    { status: 'delivered', attempts: 1, lastStatusCode: 200 },
  );
  t.equal(rows?.find((d) => d.id === older.id).status, 'failed');
  const newerRequests = receiver.received.filter((r) => r.headers['webhook-id'] === newer.id);
  t.equal(newerRequests.length, 7, 'six failed attempts, then the replay, all with the same webhook-id');
  t.equal(JSON.parse(newerRequests[6].body).eventId, JSON.parse(newerRequests[0].body).eventId, 'the same event');

  const all = await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/replay`, { headers: acmeAdmin.headers, body: { since: '2000-01-01T00:00:00Z' } });
  t.same(all.json, { replayed: 1 }, 'the older failure; the delivered one is not failed any more');
  await deliveriesWhen(kernel, acmeAdmin.headers, hook.id, (r) => r.find((d) => d.id === older.id)?.status === 'delivered');

  const one = await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${newer.id}/replay`, { headers: acmeAdmin.headers });
  t.equal(one.status, 202, 'a delivered delivery can be replayed too');
  t.match(one.json, { id: newer.id, status: 'pending', attempts: 0 });
  rows = await deliveriesWhen(kernel, acmeAdmin.headers, hook.id, (r) => r.find((d) => d.id === newer.id)?.status === 'delivered');
  t.equal(receiver.received.filter((r) => r.headers['webhook-id'] === newer.id).length, 8, 'delivered again with the same webhook-id');
  const last = receiver.received.filter((r) => r.headers['webhook-id'] === newer.id).at(-1) as ReceivedRequest;
  t.equal(verifyReason(hook.secret, last), 'verified', 'freshly signed');

  t.equal(
    (await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/00000000-0000-4000-8000-000000000000/replay`, { headers: acmeAdmin.headers })).status,
    404,
  );
  await call(kernel, 'PATCH', `/api/v1/webhooks/${hook.id}`, { headers: acmeAdmin.headers, body: { enabled: false } });
  const whileDisabled = await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${newer.id}/replay`, { headers: acmeAdmin.headers });
  t.equal(whileDisabled.status, 409);
  t.match(whileDisabled.json.error, { code: 'conflict', message: /disabled/ });
  t.equal(
    (await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/replay`, { headers: acmeAdmin.headers, body: { since: '2000-01-01T00:00:00Z' } })).status,
    409,
  );
});

t.test('a URL the outbound guard would block is refused on create and update, with the reason, and never connects', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t);
  const receiver = await startReceiver(t);
  const blocked = receiver.url('/hook');
  const created = await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: blocked } });
  t.equal(created.status, 400);
  t.match(created.json.error, {
    code: 'validation_failed',
    message: /would be blocked by the outbound guard: .*127\.0\.0\.1 is in a blocked range \(loopback\)/,
    details: [{ path: '/body/url', message: /127\.0\.0\.1 is in a blocked range \(loopback\)/ }],
  });
  const credentials = await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: 'https://user:pw@hooks.example.org/in' } });
  t.match(credentials.json.error, { code: 'validation_failed', message: /credentials in the URL are not allowed/ });
  t.same((await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers })).json.data, [], 'nothing was created');

  const hook = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: 'https://hooks.example.org/in' } })).json;
  t.ok(hook.id, 'a host name that does not resolve yet is accepted (the delivery checks again)');
  for (const method of ['PUT', 'PATCH']) {
    const updated = await call(kernel, method, `/api/v1/webhooks/${hook.id}`, { headers: acmeAdmin.headers, body: { url: 'http://169.254.169.254/latest' } });
    t.equal(updated.status, 400, method);
    t.match(updated.json.error, { code: 'validation_failed', message: /169\.254\.169\.254 is in a blocked range \(linkLocal\)/ }, method);
  }
  t.equal((await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers })).json.data[0].url, 'https://hooks.example.org/in', 'unchanged');
  t.equal(receiver.connections(), 0);
});

t.test('an allowlisted private host is accepted', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { env: { ITOPS_SECURITY_WEBHOOK_HOST_ALLOWLIST: '127.0.0.1' } });
  const receiver = await startReceiver(t);
  t.equal((await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: receiver.url('/hook') } })).status, 201);
});

t.test('managing webhooks: bad input, no auth, wrong role, other tenant', async (t) => {
  const { kernel, acmeAdmin, acmeOps, acmeViewer, globexAdmin } = await startWorld(t);
  const hook = (await call(kernel, 'POST', '/api/v1/webhooks', { headers: acmeAdmin.headers, body: { url: 'https://hooks.example.org/in' } })).json;
  const delivery = (await call(kernel, 'POST', `/api/v1/webhooks/${hook.id}/test`, { headers: acmeAdmin.headers })).json;
  const operations: [string, string, unknown][] = [
    ['PUT', `/api/v1/webhooks/${hook.id}`, { url: 'https://hooks.example.org/other' }],
    ['PATCH', `/api/v1/webhooks/${hook.id}`, { enabled: true }],
    ['POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { graceSeconds: 60 }],
    ['POST', `/api/v1/webhooks/${hook.id}/replay`, { since: '2020-01-01T00:00:00Z' }],
    ['POST', `/api/v1/webhooks/${hook.id}/deliveries/${delivery.id}/replay`, undefined],
  ];
  for (const [method, path, body] of operations) {
    t.equal((await call(kernel, method, path, { body })).status, 401, `${method} ${path} without credentials`);
    t.equal((await call(kernel, method, path, { headers: acmeOps.headers, body })).status, 403, `${method} ${path} by a read-only role`);
    t.equal((await call(kernel, method, path, { headers: acmeViewer.headers, body })).status, 403, `${method} ${path} by a viewer`);
    t.equal((await call(kernel, method, path, { headers: globexAdmin.headers, body })).status, 404, `${method} ${path} from another tenant`);
  }
  const bad: [string, string, unknown][] = [
    ['PUT', `/api/v1/webhooks/${hook.id}`, { topics: ['a.b'] }],
    ['PUT', `/api/v1/webhooks/${hook.id}`, { url: 'ftp://files.example.org/' }],
    ['PATCH', `/api/v1/webhooks/${hook.id}`, {}],
    ['PATCH', `/api/v1/webhooks/${hook.id}`, { enabled: 'yes' }],
    ['PATCH', `/api/v1/webhooks/${hook.id}`, { topics: ['Bad Topic'] }],
    ['PATCH', `/api/v1/webhooks/${hook.id}`, { secret: 'whsec_abc' }],
    ['POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { graceSeconds: -1 }],
    ['POST', `/api/v1/webhooks/${hook.id}/rotate-secret`, { graceSeconds: 604801 }],
    ['POST', `/api/v1/webhooks/${hook.id}/replay`, { since: 'yesterday' }],
    ['POST', `/api/v1/webhooks/${hook.id}/replay`, {}],
    ['POST', `/api/v1/webhooks/${hook.id}/deliveries/not-a-uuid/replay`, undefined],
    ['PATCH', '/api/v1/webhooks/not-a-uuid', { enabled: true }],
  ];
  for (const [method, path, body] of bad) {
    const response = await call(kernel, method, path, { headers: acmeAdmin.headers, body });
    t.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
    t.equal(response.json.error.code, 'validation_failed');
  }
  const unchanged = (await call(kernel, 'GET', '/api/v1/webhooks', { headers: acmeAdmin.headers })).json.data[0];
  t.match(unchanged, { url: 'https://hooks.example.org/in', enabled: true, previousSecretExpiresAt: null }, 'nothing changed');
});
