import { createServer } from 'node:net';
import t from 'tap';
import { aiopsWorld, call, eventually } from '../aiops.testkit.ts';

/** A delivery exactly as Alertmanager 0.27 sends it (webhook payload version 4). */
function delivery(status: 'firing' | 'resolved', startsAt = '2026-04-10T12:00:00.000Z') {
  return {
    receiver: 'itops',
    status,
    alerts: [
      {
        status,
        labels: { alertname: 'HighCPU', service_id: 'payment-api', severity: 'critical', instance: 'pay-1:9100', job: 'node' },
        annotations: { summary: 'CPU usage above 85% for 5 minutes' },
        startsAt,
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-04-10T12:20:00.000Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=cpu%3E85&g0.tab=1',
        fingerprint: 'c3f2a1b4d5e6f708',
      },
    ],
    groupLabels: { alertname: 'HighCPU' },
    commonLabels: { alertname: 'HighCPU', service_id: 'payment-api', severity: 'critical', job: 'node' },
    commonAnnotations: { summary: 'CPU usage above 85% for 5 minutes' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}/{severity="critical"}:{alertname="HighCPU"}',
    truncatedAlerts: 0,
    notification_reason: 'new_alert',
  };
}

type World = Awaited<ReturnType<typeof aiopsWorld>>;

/** Issues a workspace's receiver credential as its integration admin would; answers the Authorization header. */
async function receiverCredential(kernel: World['kernel'], admin: World['acmeAdmin']) {
  const r = await call(kernel, 'POST', '/api/v1/alertmanager/receiver/rotate', { headers: admin.headers });
  if (r.status !== 200) throw new Error(`rotate: ${r.status} ${r.text}`);
  return { authorization: `Bearer ${r.json.receiver_secret as string}`, secret: r.json.receiver_secret as string };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

t.test('a firing alert delivered twice makes one anomaly and one core alert; resolved resolves both', async (t) => {
  const { kernel, acmeAdmin, acmeOps, acmeViewer } = await aiopsWorld(t);
  const { authorization } = await receiverCredential(kernel, acmeAdmin);
  const headers = { authorization };
  const first = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { headers, body: delivery('firing') });
  t.equal(first.status, 200, first.text);
  t.match(first.json, { status: 'ok', rca_triggered: true, anomaly_id: /^anom-[0-9a-f]{8}$/ });
  const again = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { headers, body: delivery('firing') });
  t.equal(again.status, 200);
  t.equal(again.json.anomaly_id, first.json.anomaly_id, 'a redelivery answers the same anomaly');
  t.equal(again.json.duplicates, 1);

  const anomalies = await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers });
  t.equal(anomalies.json.total, 1);
  t.match(anomalies.json.anomalies[0], {
    anomaly_id: first.json.anomaly_id,
    service_id: 'payment-api',
    metric_name: 'HighCPU',
    anomaly_score: 0.95,
    source: 'alertmanager',
    rca_triggered: true,
    resolved: false,
  });
  const active = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers });
  const mine = (active.json.data ?? active.json).filter((a: { source: string }) => a.source === 'aiops');
  t.equal(mine.length, 1, 'one core alert');
  t.equal(mine[0].count ?? 1, 1, 'raised once, not counted twice');

  const resolved = await call(kernel, 'POST', '/api/v1/alerts/webhook', { headers: { ...headers, 'x-workspace-id': 'acme' }, body: delivery('resolved') });
  t.equal(resolved.status, 200);
  t.equal(resolved.json.anomaly_id, first.json.anomaly_id);
  const after = await call(kernel, 'GET', `/api/v1/anomalies/${first.json.anomaly_id}`, { headers: acmeViewer.headers });
  t.equal(after.json.resolved, true);
  const stillActive = await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers });
  t.equal((stillActive.json.data ?? stillActive.json).filter((a: { source: string }) => a.source === 'aiops').length, 0);

  const refire = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { headers, body: delivery('firing', '2026-04-10T13:00:00.000Z') });
  t.not(refire.json.anomaly_id, first.json.anomaly_id, 'firing again later is a new anomaly');
});

t.test('the seed’s minimal payload, bad input, unknown workspace, other workspace', async (t) => {
  const { kernel, acmeAdmin, acmeViewer, globexAdmin } = await aiopsWorld(t);
  const { authorization } = await receiverCredential(kernel, acmeAdmin);
  const headers = { authorization };
  const seed = {
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighCPU', service_id: 'payment-api', severity: 'critical' },
        annotations: { summary: 'CPU usage above 85% for 5 minutes' },
        startsAt: '2026-04-10T12:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
      },
    ],
    groupLabels: { alertname: 'HighCPU' },
    commonLabels: { service_id: 'payment-api', workspace: 'acme' },
  };
  const r = await call(kernel, 'POST', '/api/v1/alerts/webhook', { headers, body: seed });
  t.equal(r.status, 200, r.text);
  t.match(r.json, { status: 'ok', rca_triggered: true, anomaly_id: /^anom-/ });
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { headers, body: { alerts: [] } })).status, 400);
  t.equal(
    (
      await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', {
        headers,
        body: { alerts: [{ status: 'burning', labels: {}, startsAt: '2026-04-10T12:00:00Z' }] },
      })
    ).status,
    400,
  );
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook', { headers, body: { ...seed, commonLabels: {} } })).status, 400, 'no workspace named');
  t.equal(
    (await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=nope', { headers, body: seed })).status,
    401,
    'an unknown workspace answers as a wrong credential does (ids cannot be probed)',
  );
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: globexAdmin.headers })).json.total, 0);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers })).json.total, 1);
});

t.test('the receiver credential: issued per workspace, shown once, required on both ports', async (t) => {
  const port = await freePort();
  const { kernel, acmeAdmin, acmeOps, acmeViewer, globexAdmin } = await aiopsWorld(t, { env: { ITOPS_AIOPS_ALERTMANAGER_PORT: String(port) } });
  const before = await call(kernel, 'GET', '/api/v1/alertmanager/receiver', { headers: acmeOps.headers });
  t.equal(before.status, 200);
  t.same(before.json, {
    workspace_id: 'acme',
    auth: 'workspace',
    configured: false,
    secret_prefix: null,
    rotated_at: null,
    webhook_path: '/api/v1/alerts/webhook?workspace=acme',
  });
  t.equal((await call(kernel, 'GET', '/api/v1/alertmanager/receiver')).status, 401, 'no auth');
  t.equal((await call(kernel, 'GET', '/api/v1/alertmanager/receiver', { headers: acmeViewer.headers })).status, 403, 'wrong role');
  t.equal((await call(kernel, 'POST', '/api/v1/alertmanager/receiver/rotate')).status, 401, 'no auth');
  t.equal((await call(kernel, 'POST', '/api/v1/alertmanager/receiver/rotate', { headers: acmeOps.headers })).status, 403, 'an engineer cannot rotate');
  t.equal(
    (await call(kernel, 'POST', '/api/v1/alertmanager/receiver/rotate', { headers: { ...acmeAdmin.headers, 'x-workspace-id': 'globex' } })).status,
    404,
    'other workspace',
  );
  t.equal(
    (await call(kernel, 'POST', '/api/v1/alertmanager/receiver/rotate', { headers: { ...acmeAdmin.headers, 'idempotency-key': 'k'.repeat(300) } })).status,
    400,
    'bad input',
  );
  t.equal((await call(kernel, 'GET', '/api/v1/alertmanager/receiver', { headers: acmeOps.headers })).json.configured, false, 'bad input changed nothing');

  const url = `http://127.0.0.1:${port}/api/v1/alerts/webhook?workspace=acme`;
  const post = (headers: Record<string, string>, body: unknown = delivery('firing')) =>
    eventually(async () => {
      try {
        return await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
      } catch {
        return undefined; // not listening yet
      }
    }) as Promise<Response>;
  const viaMain = (headers: Record<string, string>, path = '/api/v1/alerts/webhook?workspace=acme') =>
    call(kernel, 'POST', path, { headers, body: delivery('firing') });

  const notYet = await post({ authorization: 'Bearer amr_anything' });
  t.equal(notYet.status, 401, 'no credential issued yet: nothing is admitted');
  t.equal(((await notYet.json()) as { error: { code: string } }).error.code, 'unauthorized');

  const acme = await receiverCredential(kernel, acmeAdmin);
  t.match(acme.secret, /^amr_[A-Za-z0-9_-]{43}$/);
  const globex = await receiverCredential(kernel, globexAdmin);
  const state = await call(kernel, 'GET', '/api/v1/alertmanager/receiver', { headers: acmeAdmin.headers });
  t.match(state.json, { configured: true, secret_prefix: acme.secret.slice(0, 12) });
  t.notOk(state.text.includes(acme.secret), 'the secret is never shown again');
  const stored = await kernel.database.platform.query<{ secret_hash: string }>('SELECT secret_hash FROM aiops_am_receiver');
  t.equal(stored.length, 2);
  t.notOk(JSON.stringify(stored).includes(acme.secret.slice(4)), 'kept as a hash');

  for (const [what, headers] of [
    ['no credential', {}],
    ['wrong credential', { authorization: 'Bearer amr_wrong' }],
    ["another workspace's credential", { authorization: globex.authorization }],
    ['a basic-auth password of another workspace', { authorization: `Basic ${Buffer.from(`alertmanager:${globex.secret}`).toString('base64')}` }],
    ['an empty basic-auth password', { authorization: `Basic ${Buffer.from('alertmanager:').toString('base64')}` }],
  ] as const) {
    const r = await post(headers);
    t.equal(r.status, 401, `second port, ${what}`);
    t.equal((await viaMain(headers)).status, 401, `main port, ${what}`);
  }
  t.equal(
    (await viaMain({ authorization: acme.authorization }, '/api/v1/alerts/webhook?workspace=globex')).status,
    401,
    "acme's credential cannot name globex",
  );
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers })).json.total, 0, 'nothing refused was stored');

  const ok = await post({ authorization: acme.authorization });
  t.equal(ok.status, 200);
  const body = (await ok.json()) as { anomaly_id: string };
  const basic = await post({ authorization: `Basic ${Buffer.from(`alertmanager:${acme.secret}`).toString('base64')}` });
  t.equal(basic.status, 200, 'the basic-auth password is the credential');
  t.equal(((await basic.json()) as { anomaly_id: string }).anomaly_id, body.anomaly_id, 'a redelivery through either port is one alert');
  t.equal((await viaMain({ authorization: acme.authorization })).json.anomaly_id, body.anomaly_id);
  t.equal((await post({ authorization: acme.authorization }, '{"alerts": [')).status, 400);
  t.equal((await post({ authorization: acme.authorization }, { alerts: 'no' })).status, 400);
  t.equal((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status, 404);
  const nul = JSON.stringify(delivery('firing', '2026-04-10T14:00:00.000Z')).replace('HighCPU', 'High\\u0000CPU');
  t.equal((await post({ authorization: acme.authorization }, nul)).status, 400, 'a NUL is refused, as on the main port');
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers })).json.total, 1);
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: globexAdmin.headers })).json.total, 0);

  const rotated = await receiverCredential(kernel, acmeAdmin);
  t.equal((await post({ authorization: acme.authorization })).status, 401, 'the previous credential stops working at once');
  t.equal((await post({ authorization: rotated.authorization })).status, 200);
});

t.test('ITOPS_AIOPS_ALERTMANAGER_AUTH=none: the seed’s open receiver, chosen explicitly', async (t) => {
  const { kernel, acmeOps, acmeViewer } = await aiopsWorld(t, { env: { ITOPS_AIOPS_ALERTMANAGER_AUTH: 'none' } });
  const r = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { body: delivery('firing') });
  t.equal(r.status, 200, r.text);
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=nope', { body: delivery('firing') })).status, 404);
  t.equal((await call(kernel, 'GET', '/api/v1/alertmanager/receiver', { headers: acmeOps.headers })).json.auth, 'none');
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers })).json.total, 1);
});
