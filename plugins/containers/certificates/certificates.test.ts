import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { endpointWorld, eventually } from '../endpoints/endpoint.testkit.ts';
import { certificateFactory, hasOpenssl, startHttpsServer, startTlsServer } from './tls.testkit.ts';

const skip = !hasOpenssl() && 'openssl is not installed';

async function certificateWorld(t: Parameters<typeof endpointWorld>[0]) {
  // Certificates are made now, so the plugin's clock starts now too.
  const world = await endpointWorld(t, { start: Math.floor(Date.now() / 1000) * 1000 });
  const { kernel, acmeOps } = world;
  const getCertificate = async (id: string) => (await call(kernel, 'GET', `/api/v1/certificates/${id}`, { headers: acmeOps.headers })).json;
  const certificateChecks = async (id: string) => (await call(kernel, 'GET', `/api/v1/certificates/${id}/checks`, { headers: acmeOps.headers })).json;
  /** Waits until the monitor has `count` checks; returns it. */
  const certificateChecked = async (id: string, count: number) => {
    const done = await eventually(async () => ((await certificateChecks(id)).page.total >= count ? true : undefined));
    if (!done) throw new Error(`certificate ${id} was not checked ${count} times`);
    return getCertificate(id);
  };
  const updateCertificate = async (id: string, body: unknown) => {
    const response = await call(kernel, 'PUT', `/api/v1/certificates/${id}`, { headers: acmeOps.headers, body });
    if (response.status !== 200) throw new Error(`${response.status} ${response.text}`);
    return response.json;
  };
  return { ...world, getCertificate, certificateChecks, certificateChecked, updateCertificate };
}

t.test('an HTTPS endpoint’s certificate: validated, warned about as expiry nears, recovered on renewal', { skip }, async (t) => {
  const certs = certificateFactory(t);
  const server = await startHttpsServer(t, certs.signed(40));
  const { create, checkedTimes, certificateChecked, updateCertificate, certificateChecks, topics, activeAlerts, clock } = await certificateWorld(t);
  const endpoint = await create({ name: 'shop', url: `https://localhost:${server.port}/`, ignoreTlsErrors: true, keyword: 'secure ok' });
  t.type(endpoint.certificateId, 'string');
  const id = endpoint.certificateId;

  let certificate = await certificateChecked(id, 1);
  t.match(
    certificate,
    {
      host: 'localhost',
      serverName: 'localhost',
      source: 'endpoint',
      endpointIds: [endpoint.id],
      validate: false,
      status: 'valid',
      warningDays: [30, 14, 7, 3, 1],
      subject: 'CN=localhost',
      issuer: 'CN=itops test CA',
      subjectAltNames: ['DNS:localhost', 'IP Address:127.0.0.1'],
      chain: [{ subject: 'CN=localhost' }, { subject: 'CN=itops test CA' }],
      chainValid: false,
      chainError: 'SELF_SIGNED_CERT_IN_CHAIN',
      hostnameValid: true,
      lastError: null,
      warningThresholdDays: null,
    },
    'derived with validate off, as its endpoint ignores TLS errors',
  );
  t.ok(certificate.daysLeft > 39.9 && certificate.daysLeft <= 40, `40 days left (${certificate.daysLeft})`);
  t.match(await checkedTimes(endpoint.id, 1), { status: 'up', lastStatusCode: 200 }, 'the endpoint itself passes (TLS errors ignored)');

  certificate = await updateCertificate(id, { validate: true });
  certificate = await certificateChecked(id, 2);
  t.match(certificate, { status: 'invalid', statusReason: /SELF_SIGNED_CERT_IN_CHAIN/ });
  const invalid = await eventually(async () => (await activeAlerts()).find((a) => a.entityType === 'certificate'));
  t.match(invalid, { source: 'containers', entityId: id, severity: 'critical', title: `Certificate of localhost:${server.port} is invalid` });

  await updateCertificate(id, { caCertificate: certs.ca.cert });
  t.match(await certificateChecked(id, 3), { status: 'valid', chainValid: true, chainError: null });
  await eventually(async () => ((await activeAlerts()).length === 0 ? true : undefined));

  const alertTitles = async (count: number) => {
    const found = await eventually(async () => {
      const active = await activeAlerts();
      return active.length === count ? active.map((a) => `${a.severity}: ${a.title}`) : undefined;
    });
    return found;
  };
  clock.advance(11 * 86_400);
  t.match(await certificateChecked(id, 4), { status: 'expiring', warningThresholdDays: 30, statusReason: /^Expires in 2[89] days \(/ });
  t.same(await alertTitles(1), [`warning: Certificate of localhost:${server.port} expires within 30 days`]);
  clock.advance(20 * 86_400);
  t.match(await certificateChecked(id, 5), { status: 'expiring', warningThresholdDays: 14 });
  t.same(await alertTitles(1), [`warning: Certificate of localhost:${server.port} expires within 14 days`], 'the 14-day warning replaces the 30-day one');
  clock.advance(5 * 86_400);
  t.match(await certificateChecked(id, 6), { warningThresholdDays: 7 });
  t.same(await alertTitles(1), [`critical: Certificate of localhost:${server.port} expires within 7 days`]);
  clock.advance(5 * 86_400);
  t.match(await certificateChecked(id, 7), { status: 'expired', warningThresholdDays: null });
  t.same(await alertTitles(1), [`critical: Certificate of localhost:${server.port} has expired`]);

  server.use(certs.signed(90));
  clock.advance(6 * 3600);
  const renewed = await certificateChecked(id, 8);
  t.match(renewed, { status: 'valid', warningThresholdDays: null, chainValid: true });
  t.ok(renewed.daysLeft > 48 && renewed.daysLeft < 49.5, `the new certificate has ~49 days left (${renewed.daysLeft})`);
  t.not(renewed.fingerprint256, certificate.fingerprint256);

  const all = await topics('certificate.');
  const results = all.filter((e) => e.topic === 'certificate.check_result');
  t.equal(results.length, 8, 'a certificate.check_result per check');
  t.match(results[7].payload, { certificateId: id, ok: true, status: 'valid', previousStatus: 'expired', daysLeft: Number, error: null, checkedAt: String });
  const events = all.filter((e) => e.topic !== 'certificate.check_result');
  t.same(
    events.map((e) => `${e.topic}:${e.payload.kind ?? e.payload.previousKind}:${e.payload.thresholdDays ?? ''}`),
    [
      'certificate.alert:invalid:',
      'certificate.recovery:invalid:',
      'certificate.alert:expiring:30',
      'certificate.alert:expiring:14',
      'certificate.alert:expiring:7',
      'certificate.alert:expired:',
      'certificate.recovery:expired:',
    ],
  );
  t.match(events[2].payload, {
    certificateId: id,
    host: 'localhost',
    serverName: 'localhost',
    status: 'expiring',
    daysLeft: Number,
    notAfter: String,
    fingerprint256: String,
  });
  const history = await certificateChecks(id);
  t.match(history, { page: { total: 8 } });
  t.match(history.data[0], { ok: true, status: 'valid', chainValid: true, hostnameValid: true, address: '127.0.0.1', durationMs: Number });
  t.match(history.data[1], { status: 'expired', notAfter: certificate.notAfter });
});

t.test('standalone certificate monitors: create, read, list, update, delete', { skip }, async (t) => {
  const certs = certificateFactory(t);
  const server = await startTlsServer(t, certs.signed(40));
  const { kernel, acmeOps, acmeViewer, certificateChecked, getCertificate, topics, clock } = await certificateWorld(t);
  const created = await call(kernel, 'POST', '/api/v1/certificates', {
    headers: acmeOps.headers,
    body: { host: '127.0.0.1', port: server.port, serverName: 'localhost', warningDays: [10, 60], caCertificate: certs.ca.cert },
  });
  t.equal(created.status, 201, created.text);
  t.match(created.json, {
    name: `localhost:${server.port}`,
    host: '127.0.0.1',
    port: server.port,
    serverName: 'localhost',
    source: 'manual',
    endpointIds: [],
    warningDays: [60, 10],
    intervalSeconds: 21_600,
    timeoutSeconds: 10,
    validate: true,
    status: 'pending',
    notAfter: null,
    daysLeft: null,
  });
  const id = created.json.id;
  t.match(await certificateChecked(id, 1), { status: 'expiring', warningThresholdDays: 60, chainValid: true, hostnameValid: true });
  const other = await call(kernel, 'POST', '/api/v1/certificates', { headers: acmeOps.headers, body: { host: 'Example.TEST', name: 'example' } });
  t.match(other.json, { host: 'example.test', serverName: 'example.test', port: 443 });
  t.match(await certificateChecked(other.json.id, 1), { status: 'error', lastError: 'connection refused by example.test:443' });
  const refused = (await topics('certificate.check_result')).find((e) => e.payload.certificateId === other.json.id);
  t.match(
    refused?.payload,
    { ok: false, status: 'error', previousStatus: 'pending', error: 'connection refused by example.test:443' },
    'a refused connection raises no alert, but its check result is published (the console shows it live)',
  );

  const list = await call(kernel, 'GET', '/api/v1/certificates', { headers: acmeViewer.headers });
  t.match(list.json, { page: { total: 2 }, sort: { by: 'notAfter', order: 'asc' } });
  t.same(
    list.json.data.map((c: any) => c.id),
    [id, other.json.id],
    'soonest expiry first, never-seen last',
  );
  t.match((await call(kernel, 'GET', '/api/v1/certificates?status=error', { headers: acmeViewer.headers })).json, {
    data: [{ id: other.json.id }],
    filters: { status: 'error' },
  });
  t.match((await call(kernel, 'GET', '/api/v1/certificates?q=example&source=manual', { headers: acmeViewer.headers })).json, { page: { total: 1 } });

  const duplicate = await call(kernel, 'POST', '/api/v1/certificates', {
    headers: acmeOps.headers,
    body: { host: '127.0.0.1', port: server.port, serverName: 'LOCALHOST' },
  });
  t.equal(duplicate.status, 409);
  t.match(duplicate.json, { error: { code: 'conflict' } });

  clock.advance(60);
  const updated = await call(kernel, 'PUT', `/api/v1/certificates/${id}`, { headers: acmeOps.headers, body: { warningDays: [30], name: 'local TLS' } });
  t.match(updated.json, { name: 'local TLS', warningDays: [30], status: 'expiring' }, 'status as of the last check');
  t.match(await certificateChecked(id, 2), { status: 'valid', warningThresholdDays: null }, 'checked again with the new thresholds');
  const moved = await call(kernel, 'PUT', `/api/v1/certificates/${other.json.id}`, {
    headers: acmeOps.headers,
    body: { host: '127.0.0.1', port: server.port },
  });
  t.match(moved.json, { host: '127.0.0.1', serverName: '127.0.0.1', name: 'example', status: 'pending' });
  // Wait for the new target's result: a check of the old host still in flight may finish first.
  const recheck = await eventually(async () => {
    const c = await getCertificate(other.json.id);
    return c.status === 'pending' ? undefined : c;
  });
  t.match(recheck, { status: 'invalid', chainError: 'SELF_SIGNED_CERT_IN_CHAIN', hostnameValid: true });

  const checks = await call(kernel, 'GET', `/api/v1/certificates/${id}/checks?limit=1`, { headers: acmeViewer.headers });
  t.match(checks.json, { page: { limit: 1, returned: 1, total: 2 }, data: [{ ok: true, status: 'valid' }] });

  t.equal((await call(kernel, 'DELETE', `/api/v1/certificates/${id}`, { headers: acmeOps.headers })).status, 204);
  t.equal((await call(kernel, 'GET', `/api/v1/certificates/${id}`, { headers: acmeOps.headers })).status, 404);
  t.match(await getCertificate(other.json.id), { id: other.json.id });
});

t.test('certificate operations: bad input, no auth, wrong role, other tenant, derived monitors', async (t) => {
  const { kernel, acmeOps, acmeViewer, acmeAdmin, globexAdmin, create, getCertificate, billing } = await certificateWorld(t);
  const created = await call(kernel, 'POST', '/api/v1/certificates', { headers: acmeOps.headers, body: { host: 'shop.test' } });
  t.equal(created.status, 201);
  const id = created.json.id;
  const endpoint = await create({ name: 'api', url: 'https://api.test/' });
  const derived = endpoint.certificateId;

  const bad: [string, string, unknown][] = [
    ['GET', '/api/v1/certificates?limit=0', undefined],
    ['GET', '/api/v1/certificates?sortBy=issuer', undefined],
    ['GET', '/api/v1/certificates?status=fine', undefined],
    ['GET', '/api/v1/certificates?source=labels', undefined],
    ['GET', '/api/v1/certificates/nope', undefined],
    ['POST', '/api/v1/certificates', {}],
    ['POST', '/api/v1/certificates', { host: 'bad host' }],
    ['POST', '/api/v1/certificates', { host: 'https://shop.test' }],
    ['POST', '/api/v1/certificates', { host: 'shop.test', port: 0 }],
    ['POST', '/api/v1/certificates', { host: 'shop.test', warningDays: [] }],
    ['POST', '/api/v1/certificates', { host: 'shop.test', warningDays: [0] }],
    ['POST', '/api/v1/certificates', { host: 'shop.test', warningDays: [7, 7] }],
    ['POST', '/api/v1/certificates', { host: 'shop.test', intervalSeconds: 60 }],
    ['POST', '/api/v1/certificates', { host: 'shop.test', caCertificate: 'not a certificate' }],
    ['POST', '/api/v1/certificates', { host: 'shop.test', caCertificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----' }],
    ['POST', '/api/v1/certificates', { host: 'shop.test', owner: 'me' }],
    ['PUT', `/api/v1/certificates/${id}`, {}],
    ['PUT', `/api/v1/certificates/${id}`, { timeoutSeconds: 0 }],
    ['DELETE', '/api/v1/certificates/nope', undefined],
    ['GET', `/api/v1/certificates/${id}/checks?offset=-1`, undefined],
  ];
  for (const [method, path, body] of bad) {
    const response = await call(kernel, method, path, { headers: acmeOps.headers, body });
    t.equal(response.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${response.text}`);
    t.match(response.json, { error: { code: 'validation_failed', correlationId: String } });
  }
  const closed = await endpointWorld(t, { privateNetworks: [] });
  const loopback = await call(closed.kernel, 'POST', '/api/v1/certificates', { headers: closed.acmeOps.headers, body: { host: '127.0.0.1' } });
  t.equal(loopback.status, 400, 'a literal private address not opened to checks');
  t.match(loopback.json.error.details, [{ path: '/body/host', message: /loopback/ }]);

  const everyOperation: [string, string][] = [
    ['GET', '/api/v1/certificates'],
    ['POST', '/api/v1/certificates'],
    ['GET', `/api/v1/certificates/${id}`],
    ['PUT', `/api/v1/certificates/${id}`],
    ['DELETE', `/api/v1/certificates/${id}`],
    ['GET', `/api/v1/certificates/${id}/checks`],
  ];
  for (const [method, path] of everyOperation) {
    const response = await call(kernel, method, path);
    t.equal(response.status, 401, `${method} ${path} without credentials`);
    t.match(response.json, { error: { code: 'unauthorized' } });
  }
  for (const [method, path, body] of [
    ['POST', '/api/v1/certificates', { host: 'v.test' }],
    ['PUT', `/api/v1/certificates/${id}`, { name: 'v' }],
    ['DELETE', `/api/v1/certificates/${id}`, undefined],
  ] as [string, string, unknown][]) {
    const response = await call(kernel, method, path, { headers: acmeViewer.headers, body });
    t.equal(response.status, 403, `${method} ${path} as a viewer`);
    t.match(response.json, { error: { code: 'forbidden' } });
  }
  const bill = await billing();
  for (const [method, path] of everyOperation.filter(([m]) => m === 'GET')) {
    t.equal((await call(kernel, method, path, { headers: acmeViewer.headers })).status, 200, `a viewer reads ${path}`);
    t.equal((await call(kernel, method, path, { headers: bill.headers })).status, 403, `billing may not read ${path}`);
  }
  t.equal(
    (await call(kernel, 'PUT', `/api/v1/certificates/${id}`, { headers: acmeAdmin.headers, body: { timeoutSeconds: 5 } })).status,
    200,
    'an admin writes',
  );
  for (const [method, path, body] of [
    ['GET', `/api/v1/certificates/${id}`, undefined],
    ['PUT', `/api/v1/certificates/${id}`, { name: 'mine now' }],
    ['DELETE', `/api/v1/certificates/${id}`, undefined],
    ['GET', `/api/v1/certificates/${id}/checks`, undefined],
  ] as [string, string, unknown][]) {
    const response = await call(kernel, method, path, { headers: globexAdmin.headers, body });
    t.equal(response.status, 404, `${method} ${path} from another tenant`);
    t.match(response.json, { error: { code: 'not_found' } });
  }
  t.equal((await call(kernel, 'GET', '/api/v1/certificates', { headers: globexAdmin.headers })).json.page.total, 0, 'another tenant lists none');
  t.match(await getCertificate(id), { host: 'shop.test', timeoutSeconds: 5 });

  const retarget = await call(kernel, 'PUT', `/api/v1/certificates/${derived}`, { headers: acmeOps.headers, body: { port: 8443 } });
  t.equal(retarget.status, 409, 'a derived monitor follows its endpoints');
  t.match(retarget.json, { error: { code: 'conflict' } });
  t.equal(
    (await call(kernel, 'PUT', `/api/v1/certificates/${derived}`, { headers: acmeOps.headers, body: { warningDays: [21] } })).status,
    200,
    'its thresholds may change',
  );
  const remove = await call(kernel, 'DELETE', `/api/v1/certificates/${derived}`, { headers: acmeOps.headers });
  t.equal(remove.status, 409);
  t.match(remove.json, { error: { code: 'conflict', message: /monitorCertificate/ } });
  await call(kernel, 'PUT', `/api/v1/endpoints/${endpoint.id}`, { headers: acmeOps.headers, body: { monitorCertificate: false } });
  t.equal((await call(kernel, 'GET', `/api/v1/certificates/${derived}`, { headers: acmeOps.headers })).status, 404, 'gone once no endpoint wants it');
});
