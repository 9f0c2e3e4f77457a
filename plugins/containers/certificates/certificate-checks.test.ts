import t from 'tap';
import { certificateAlert, evaluateCertificate, inspectCertificate } from './certificate-checks.ts';
import { type CheckAddressPolicy, parsePrivateNetworks } from '../endpoints/endpoint-address-policy.ts';
import { certificateFactory, closedPort, hasOpenssl, startTlsServer } from './tls.testkit.ts';

const policy: CheckAddressPolicy = { privateNetworks: parsePrivateNetworks(['127.0.0.0/8']), hostAllowlist: [], allowPrivate: false };
const context = { policy, tenantId: 'acme' };
const day = 86_400_000;

t.test('a handshake reads the chain, validates it and the name, and records the expiry', { skip: !hasOpenssl() && 'openssl is not installed' }, async (t) => {
  const certs = certificateFactory(t);
  const pair = certs.signed(20);
  const server = await startTlsServer(t, pair);
  const target = { host: '127.0.0.1', port: server.port, serverName: 'localhost', caPem: certs.ca.cert, timeoutMs: 5000 };

  const seen = await inspectCertificate(target, context);
  t.match(seen, {
    address: '127.0.0.1',
    leaf: { subject: 'CN=localhost', issuer: 'CN=itops test CA' },
    subjectAltNames: ['DNS:localhost', 'IP Address:127.0.0.1'],
    chainValid: true,
    chainError: null,
    hostnameValid: true,
    hostnameError: null,
  });
  t.equal(seen.chain.length, 2, 'leaf and CA, as the server sent them');
  t.match(seen.chain[1], { subject: 'CN=itops test CA', issuer: 'CN=itops test CA' });
  const daysLeft = (Date.parse(seen.leaf.notAfter) - Date.now()) / day;
  t.ok(daysLeft > 19 && daysLeft <= 20, `expires in 20 days (${daysLeft})`);

  t.match(
    await inspectCertificate({ ...target, caPem: null }, context),
    { chainValid: false, chainError: 'SELF_SIGNED_CERT_IN_CHAIN' },
    'without the CA the chain ends in an untrusted root',
  );
  t.match(await inspectCertificate({ ...target, serverName: 'shop.example.com' }, context), {
    chainValid: true,
    hostnameValid: false,
    hostnameError: /shop\.example\.com/,
  });
  t.match(await inspectCertificate({ ...target, serverName: '127.0.0.1' }, context), { hostnameValid: true }, 'an address is checked against the IP names');

  server.use(certs.selfSigned(5));
  const selfSigned = await inspectCertificate(target, context);
  t.match(selfSigned, {
    chainValid: false,
    chainError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    hostnameValid: true,
    chain: [{ subject: 'CN=localhost', issuer: 'CN=localhost' }],
  });
});

t.test('no handshake: refused, blocked', async (t) => {
  const port = await closedPort();
  await t.rejects(inspectCertificate({ host: '127.0.0.1', port, serverName: 'localhost', caPem: null, timeoutMs: 2000 }, context), {
    message: `connection refused by 127.0.0.1:${port}`,
  });
  await t.rejects(
    inspectCertificate(
      { host: '127.0.0.1', port, serverName: 'localhost', caPem: null, timeoutMs: 2000 },
      { ...context, policy: { ...policy, privateNetworks: [] } },
    ),
    { message: /127\.0\.0\.1 is not allowed/ },
  );
});

t.test('status and alert state by days left, validity and errors', async (t) => {
  const now = new Date('2026-03-10T12:00:00Z');
  const rules = { warningDays: [30, 14, 7, 3, 1], validate: true };
  const facts = (daysLeft: number, more = {}) => ({
    notAfter: new Date(now.getTime() + daysLeft * day),
    chainValid: true,
    chainError: null,
    hostnameValid: true,
    hostnameError: null,
    lastError: null,
    ...more,
  });
  t.match(evaluateCertificate(facts(45), rules, now), { status: 'valid', alertState: 'ok', daysLeft: 45, thresholdDays: null });
  t.match(evaluateCertificate(facts(30), rules, now), { status: 'expiring', alertState: 'expiring:30', thresholdDays: 30 }, 'at exactly 30 days');
  t.match(evaluateCertificate(facts(29.5), rules, now), { status: 'expiring', alertState: 'expiring:30', statusReason: /^Expires in 29 days/ });
  t.match(evaluateCertificate(facts(10), rules, now), { alertState: 'expiring:14' });
  t.match(evaluateCertificate(facts(5), rules, now), { alertState: 'expiring:7' }, 'straight to the tightest threshold crossed');
  t.match(evaluateCertificate(facts(0.5), rules, now), { alertState: 'expiring:1' });
  t.match(evaluateCertificate(facts(-1), rules, now), { status: 'expired', alertState: 'expired', daysLeft: -1 });
  t.match(evaluateCertificate(facts(45), { warningDays: [60], validate: true }, now), { alertState: 'expiring:60' }, 'custom thresholds');
  t.match(evaluateCertificate(facts(45, { chainValid: false, chainError: 'SELF_SIGNED_CERT_IN_CHAIN' }), rules, now), {
    status: 'invalid',
    alertState: 'invalid',
    statusReason: /SELF_SIGNED_CERT_IN_CHAIN/,
  });
  t.match(evaluateCertificate(facts(45, { hostnameValid: false, hostnameError: 'no match' }), rules, now), { status: 'invalid', alertState: 'invalid' });
  t.match(evaluateCertificate(facts(45, { chainValid: false }), { ...rules, validate: false }, now), { status: 'valid', alertState: 'ok' }, 'not validated');
  t.match(evaluateCertificate(facts(-1, { chainValid: false }), rules, now), { status: 'expired' }, 'expired before invalid');
  t.match(
    evaluateCertificate(facts(5, { lastError: 'connection refused' }), rules, now),
    {
      status: 'error',
      statusReason: 'connection refused',
      alertState: 'expiring:7',
    },
    'an unreachable server still warns about the certificate last seen',
  );
  t.match(evaluateCertificate({ ...facts(0), notAfter: null, lastError: 'refused' }, rules, now), { status: 'error', alertState: 'ok' });
  t.match(evaluateCertificate({ ...facts(0), notAfter: null }, rules, now), { status: 'pending', alertState: 'ok' });
});

t.test('one alert per state: warning above 7 days, critical from 7 days, expired and invalid', async (t) => {
  const cert = { id: 'c1', serverName: 'shop.example.com', port: 443 };
  t.equal(certificateAlert('ok', cert), null);
  t.same(certificateAlert('expiring:14', cert), {
    fingerprint: 'certificate:c1:expiring:14',
    severity: 'warning',
    title: 'Certificate of shop.example.com:443 expires within 14 days',
  });
  t.match(certificateAlert('expiring:7', cert), { severity: 'critical', fingerprint: 'certificate:c1:expiring:7' });
  t.match(certificateAlert('expiring:1', cert), { title: /within 1 day$/ });
  t.match(certificateAlert('expired', cert), { severity: 'critical', title: 'Certificate of shop.example.com:443 has expired' });
  t.match(certificateAlert('invalid', cert), { severity: 'critical', title: 'Certificate of shop.example.com:443 is invalid' });
});

t.test('IPv6 forms embedding a private IPv4 address are refused before any handshake', async (t) => {
  const port = await closedPort();
  const closed = { ...context, policy: { ...policy, privateNetworks: [] } };
  const hosts = [
    '::7f00:1',
    '::a9fe:a9fe',
    '::127.0.0.1',
    '::169.254.169.254',
    '::ffff:0:7f00:1',
    '64:ff9b:1::7f00:1',
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::1',
    '2001:0:4136:e378:8000:63bf:80ff:fffe',
    '2606:4700::200:5efe:7f00:1',
  ];
  for (const host of hosts) {
    await t.rejects(inspectCertificate({ host, port, serverName: 'localhost', caPem: null, timeoutMs: 2000 }, closed), { message: /is not allowed/ }, host);
  }
  await t.rejects(
    inspectCertificate({ host: '::7f00:1', port, serverName: 'localhost', caPem: null, timeoutMs: 2000 }, context),
    { message: /never checked/ },
    'even where loopback is opened',
  );
});

t.test('the timeout covers the lookup too: a resolver that never answers ends the check at the deadline', async (t) => {
  const hanging = { ...context, policy: { ...policy, resolve: () => new Promise<string[]>(() => {}) } };
  await t.rejects(inspectCertificate({ host: 'never.test', port: 443, serverName: 'never.test', caPem: null, timeoutMs: 300 }, hanging), {
    message: /no TLS handshake within 0\.3 s/,
  });
});
