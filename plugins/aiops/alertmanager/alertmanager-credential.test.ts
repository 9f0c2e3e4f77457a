import t from 'tap';
import { aiopsWorld, call, eventually } from '../aiops.testkit.ts';
import { delivery, freePort, receiverCredential } from './alertmanager.testkit.ts';

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
