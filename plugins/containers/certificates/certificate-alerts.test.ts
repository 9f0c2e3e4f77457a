import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { alertRows, rollingBack } from '../alerts.testkit.ts';
import { endpointWorld } from '../endpoints/endpoint.testkit.ts';
import type { TlsInspection } from './certificate-checks.ts';
import { recordCertificateCheck } from './certificate-results.ts';
import type { CertificateRow } from './certificate-rows.ts';

const day = 86_400_000;

/** What a handshake would have shown: a certificate expiring `days` after `now`, valid or not. */
function inspection(now: Date, days: number, chainValid = true): { inspection: TlsInspection } {
  const leaf = {
    subject: 'CN=shop.test',
    issuer: 'CN=itops test CA',
    serialNumber: '01',
    notBefore: new Date(now.getTime() - 30 * day).toISOString(),
    notAfter: new Date(now.getTime() + days * day).toISOString(),
    fingerprint256: 'AA:BB',
  };
  return {
    inspection: {
      address: '127.0.0.1',
      durationMs: 5,
      leaf,
      subjectAltNames: ['DNS:shop.test'],
      chain: [leaf],
      chainValid,
      chainError: chainValid ? null : 'SELF_SIGNED_CERT_IN_CHAIN',
      hostnameValid: true,
      hostnameError: null,
    },
  };
}

/** No check rounds: the test records the results itself, so nothing else could raise an alert. */
async function manual(t: Parameters<typeof endpointWorld>[0]) {
  const world = await endpointWorld(t, { env: { ITOPS_JOBS_ENABLED: 'false' } });
  const created = await call(world.kernel, 'POST', '/api/v1/certificates', {
    headers: world.acmeOps.headers,
    body: { host: 'shop.test', warningDays: [7, 30] },
  });
  if (created.status !== 201) throw new Error(`certificate: ${created.status} ${created.text}`);
  const id = created.json.id as string;
  const row = async () => (await world.kernel.database.query<CertificateRow>('SELECT * FROM certificate WHERE id = ?', [id]))[0];
  return { ...world, id, row };
}

t.test("a certificate's alert state and its alerts commit together: each level resolves the last one's alert and raises its own", async (t) => {
  const { id, row, clock, services, kernel } = await manual(t);
  const deps = services();
  t.equal(await recordCertificateCheck(deps, await row(), inspection(clock.now(), 20), clock.now()), true);
  t.match(await alertRows(kernel, id), [{ fingerprint: `certificate:${id}:expiring:30`, status: 'firing', title: /expires within 30 days/ }]);

  clock.advance(15 * 86_400);
  t.equal(await recordCertificateCheck(deps, await row(), inspection(clock.now(), 5), clock.now()), true);
  t.match(await alertRows(kernel, id), [{ status: 'resolved' }, { fingerprint: `certificate:${id}:expiring:7`, status: 'firing' }]);

  t.equal(await recordCertificateCheck(deps, await row(), inspection(clock.now(), 365), clock.now()), true, 'renewed');
  t.match(await alertRows(kernel, id), [{ status: 'resolved' }, { status: 'resolved' }]);
});

t.test('a certificate check that rolls back leaves neither the alert state nor an alert', async (t) => {
  const { id, row, clock, services, kernel } = await manual(t);
  const deps = services();
  await t.rejects(
    recordCertificateCheck({ ...deps, database: rollingBack(deps.database) }, await row(), inspection(clock.now(), 365, false), clock.now()),
    /rolled back/,
  );
  t.match(await row(), { status: 'pending', alert_state: 'ok' });
  t.same(await alertRows(kernel, id), []);
});
