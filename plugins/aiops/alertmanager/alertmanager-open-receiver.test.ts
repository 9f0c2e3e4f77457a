import t from 'tap';
import { aiopsWorld, call } from '../aiops.testkit.ts';
import { delivery } from './alertmanager.testkit.ts';

/** Its own file (its own kernel and time budget): the receiver without credentials, as seed 002 had it. */
t.test('ITOPS_AIOPS_ALERTMANAGER_AUTH=none: the seed’s open receiver, chosen explicitly', async (t) => {
  const { kernel, acmeOps, acmeViewer } = await aiopsWorld(t, { env: { ITOPS_AIOPS_ALERTMANAGER_AUTH: 'none' } });
  const r = await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=acme', { body: delivery('firing') });
  t.equal(r.status, 200, r.text);
  t.equal((await call(kernel, 'POST', '/api/v1/alerts/webhook?workspace=nope', { body: delivery('firing') })).status, 404);
  t.equal((await call(kernel, 'GET', '/api/v1/alertmanager/receiver', { headers: acmeOps.headers })).json.auth, 'none');
  t.equal((await call(kernel, 'GET', '/api/v1/anomalies', { headers: acmeViewer.headers })).json.total, 1);
});
