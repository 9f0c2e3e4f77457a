import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { eventually } from '../../../core/testing/eventually.ts';
import { type CheckAddressPolicy, parsePrivateNetworks } from './endpoint-address-policy.ts';
import { checkHttp, checkTcp, type HttpCheck, statusAccepted } from './endpoint-checks.ts';
import { certificateFactory, closedPort, hasOpenssl, startHttpsServer, startTcpServer } from '../certificates/tls.testkit.ts';

const loopbackOpen: CheckAddressPolicy = { privateNetworks: parsePrivateNetworks(['127.0.0.0/8']), hostAllowlist: [], allowPrivate: false };
const closed: CheckAddressPolicy = { privateNetworks: [], hostAllowlist: [], allowPrivate: false };
const context = { policy: loopbackOpen, tenantId: 'acme' };

/** A local HTTP server whose routes the test writes; records what it was asked. */
async function server(t: { teardown(fn: () => unknown): void }, handler: http.RequestListener) {
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    s.closeAllConnections();
    return new Promise((resolve) => s.close(resolve));
  });
  return { url: (p: string) => `http://127.0.0.1:${(s.address() as AddressInfo).port}${p}`, seen };
}

const check = (url: string, more: Partial<HttpCheck> = {}): HttpCheck => ({
  url,
  method: 'GET',
  headers: {},
  body: null,
  expectedStatus: '200-299',
  keyword: null,
  invertKeyword: false,
  timeoutMs: 5000,
  followRedirects: true,
  ignoreTlsErrors: false,
  ...more,
});

t.test('expected status codes and ranges', async (t) => {
  t.ok(statusAccepted('200-299', 204));
  t.notOk(statusAccepted('200-299', 301));
  t.ok(statusAccepted('200,301-302', 302));
  t.notOk(statusAccepted('200,301-302', 303));
  t.ok(statusAccepted('503', 503));
});

t.test('HTTP: status, keyword, method, headers and body, response time', async (t) => {
  const s = await server(t, (req, res) => {
    if (req.url === '/health') res.writeHead(200, { 'content-type': 'text/plain' }).end('status: all good');
    else if (req.url === '/broken') res.writeHead(503).end('maintenance');
    else res.writeHead(201).end('created');
  });
  const ok = await checkHttp(check(s.url('/health'), { keyword: 'all good' }), context);
  t.match(ok, { ok: true, statusCode: 200, error: null, address: '127.0.0.1' });
  t.type(ok.responseTimeMs, 'number');

  t.match(await checkHttp(check(s.url('/health'), { keyword: 'degraded' }), context), {
    ok: false,
    statusCode: 200,
    error: '"degraded" is not in the response',
  });
  t.match(await checkHttp(check(s.url('/health'), { keyword: 'all good', invertKeyword: true }), context), {
    ok: false,
    error: 'the response contains "all good"',
  });
  t.match(await checkHttp(check(s.url('/health'), { keyword: 'error', invertKeyword: true }), context), { ok: true });
  t.match(await checkHttp(check(s.url('/broken')), context), { ok: false, statusCode: 503, error: 'status 503, expected 200-299' });
  t.match(await checkHttp(check(s.url('/broken'), { expectedStatus: '200-299,503' }), context), { ok: true, statusCode: 503 });

  const posted = await checkHttp(
    check(s.url('/items'), { method: 'POST', body: '{"probe":true}', headers: { 'content-type': 'application/json', 'x-probe': 'itops' } }),
    context,
  );
  t.match(posted, { ok: true, statusCode: 201 });
  const last = s.seen[s.seen.length - 1];
  t.match(last, { method: 'POST', url: '/items', body: '{"probe":true}', headers: { 'x-probe': 'itops', 'content-type': 'application/json' } });
  t.match(last.headers['user-agent'], /^itops-endpoint-check\//);
});

t.test('HTTP: redirects are followed (each hop checked) or reported', async (t) => {
  const s = await server(t, (req, res) => {
    if (req.url === '/old') res.writeHead(301, { location: '/new' }).end();
    else if (req.url === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (req.url === '/away') res.writeHead(302, { location: 'http://10.9.8.7/internal' }).end();
    else res.writeHead(200).end('new place');
  });
  t.match(await checkHttp(check(s.url('/old'), { keyword: 'new place' }), context), { ok: true, statusCode: 200 });
  t.match(await checkHttp(check(s.url('/old'), { followRedirects: false }), context), { ok: false, statusCode: 301 });
  t.match(await checkHttp(check(s.url('/old'), { followRedirects: false, expectedStatus: '301' }), context), { ok: true });
  t.match(await checkHttp(check(s.url('/loop')), context), { ok: false, error: 'more than 5 redirects' });
  const away = await checkHttp(check(s.url('/away')), context);
  t.match(away, { ok: false, error: /10\.9\.8\.7 is not allowed: .*private address/ }, 'a redirect to a private address that is not opened is refused');
});

t.test('HTTP: a server that does not answer in time, and one that refuses', async (t) => {
  const s = await server(t, () => {
    // never answers
  });
  t.match(await checkHttp(check(s.url('/slow'), { timeoutMs: 300 }), context), { ok: false, error: 'no answer within 0.3 s', responseTimeMs: null });
  const port = await closedPort();
  t.match(await checkHttp(check(`http://127.0.0.1:${port}/`), context), { ok: false, error: `connection refused by 127.0.0.1:${port}`, responseTimeMs: null });
});

t.test('the address policy: loopback only where opened, for that workspace', async (t) => {
  const s = await server(t, (_req, res) => res.writeHead(200).end());
  const before = s.seen.length;
  t.match(await checkHttp(check(s.url('/')), { policy: closed, tenantId: 'acme' }), { ok: false, error: /127\.0\.0\.1 is not allowed: .*loopback/ });
  const acmeOnly = { ...closed, privateNetworks: parsePrivateNetworks(['acme=127.0.0.0/8']) };
  t.match(await checkHttp(check(s.url('/')), { policy: acmeOnly, tenantId: 'globex' }), { ok: false }, 'another workspace may not');
  t.equal(s.seen.length, before, 'refused checks sent nothing');
  t.match(await checkHttp(check(s.url('/')), { policy: acmeOnly, tenantId: 'acme' }), { ok: true });
  const resolved = { ...closed, resolve: async () => ['127.0.0.1'] };
  const port = new URL(s.url('/')).port;
  t.match(await checkHttp(check(`http://service.internal:${port}/`), { policy: resolved, tenantId: 'acme' }), {
    ok: false,
    error: /service\.internal is not allowed/,
  });
  t.match(await checkHttp(check(`http://service.internal:${port}/`), { policy: { ...resolved, hostAllowlist: ['Service.Internal'] }, tenantId: 'acme' }), {
    ok: true,
  });
});

t.test('TCP: a connection that opens, one refused, a blocked address', async (t) => {
  const tcp = await startTcpServer(t);
  const ok = await checkTcp({ host: '127.0.0.1', port: tcp.port, timeoutMs: 2000 }, context);
  t.match(ok, { ok: true, statusCode: null, error: null, address: '127.0.0.1' });
  t.type(ok.responseTimeMs, 'number');
  t.ok(await eventually(() => (tcp.connections() === 1 ? true : undefined)), 'the server saw the connection');
  const port = await closedPort();
  t.match(await checkTcp({ host: '127.0.0.1', port, timeoutMs: 2000 }, context), { ok: false, error: `connection refused by 127.0.0.1:${port}` });
  t.match(await checkTcp({ host: '127.0.0.1', port: tcp.port, timeoutMs: 2000 }, { policy: closed, tenantId: 'acme' }), { ok: false, error: /loopback/ });
  t.equal(tcp.connections(), 1, 'the refused check opened no connection');
});

t.test('HTTPS: an untrusted certificate fails the check unless TLS errors are ignored', { skip: !hasOpenssl() && 'openssl is not installed' }, async (t) => {
  const certs = certificateFactory(t);
  const selfSigned = await startHttpsServer(t, certs.selfSigned(30));
  const url = `https://localhost:${selfSigned.port}/`;
  const resolving = { ...context, policy: { ...loopbackOpen, resolve: async () => ['127.0.0.1'] } };
  t.match(await checkHttp(check(url), resolving), { ok: false, error: 'TLS: the certificate is self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)' });
  t.match(await checkHttp(check(url, { ignoreTlsErrors: true, keyword: 'secure ok' }), resolving), { ok: true, statusCode: 200 });
});

t.test('IPv6 forms embedding a private IPv4 address: HTTP and TCP checks refuse them without connecting', async (t) => {
  const s = await server(t, (_req, res) => res.writeHead(200).end());
  const port = Number(new URL(s.url('/')).port);
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
    t.match(await checkHttp(check(`http://[${host}]:${port}/`), { policy: closed, tenantId: 'acme' }), { ok: false, error: /is not allowed/ }, `HTTP ${host}`);
    t.match(await checkTcp({ host, port, timeoutMs: 2000 }, { policy: closed, tenantId: 'acme' }), { ok: false, error: /is not allowed/ }, `TCP ${host}`);
  }
  for (const host of ['::7f00:1', '::127.0.0.1', '2001:0:4136:e378:8000:63bf:80ff:fffe']) {
    t.match(await checkHttp(check(`http://[${host}]:${port}/`), context), { ok: false, error: /never checked/ }, `${host} even where loopback is opened`);
  }
  t.equal(s.seen.length, 0, 'nothing was sent');
});
