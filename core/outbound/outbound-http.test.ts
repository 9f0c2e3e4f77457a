import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { addressVerdict } from './address-policy.ts';
import { embeddedIPv4Hosts } from './embedded-ipv4.testkit.ts';
import { OutboundBlockedError, OutboundHttp } from './outbound-http.ts';

/** A local server that counts connections, so a test can prove a refused call opened none. */
async function localServer(t: { teardown(fn: () => unknown): void }, handler: http.RequestListener) {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

t.test('blocked address ranges, IPv4 and IPv6', async (t) => {
  for (const address of [
    '127.0.0.1',
    '127.8.9.10',
    '10.0.0.1',
    '172.16.5.4',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.251',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
  ]) {
    t.equal(addressVerdict(address).allowed, false, `${address} is blocked`);
  }
  for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
    t.equal(addressVerdict(address).allowed, true, `${address} is allowed`);
});

t.test('IPv6 forms embedding an IPv4 address: IPv4-compatible ::/96, Teredo and local-use NAT64 whole, the rest by the address inside', async (t) => {
  for (const address of ['::7f00:1', '::a9fe:a9fe', '::127.0.0.1', '::169.254.169.254', '::8.8.8.8', '::808:808', '2001::1', '64:ff9b:1::808:808'])
    t.equal(addressVerdict(address).allowed, false, `${address} is blocked`);
  t.match(addressVerdict('::7f00:1'), { reason: /IPv4-compatible/ });
  t.match(addressVerdict('2001:0:4136:e378:8000:63bf:80ff:fffe'), { reason: /Teredo/ });
  for (const address of ['2002:a9fe:a9fe::1', '2606:4700::5efe:a9fe:a9fe', '2606:4700::200:5efe:a00:1'])
    t.equal(addressVerdict(address).allowed, false, `${address} is judged by its embedded address`);
  for (const address of ['2002:808:808::1', '64:ff9b::808:808', '2606:4700::5efe:808:808'])
    t.equal(addressVerdict(address).allowed, true, `${address} embeds a public address`);

  const server = await localServer(t, (_req, res) => res.end('reached'));
  const guard = new OutboundHttp({ hostAllowlist: [], allowPrivate: false });
  for (const host of embeddedIPv4Hosts) {
    await t.rejects(guard.request(`http://${host}:${server.port}/`), { name: 'OutboundBlockedError', message: /blocked range/ }, host);
  }
  t.equal(server.connections(), 0, 'no connection was made for any of them');
});

t.test('refused requests open no socket and say why', async (t) => {
  const server = await localServer(t, (_req, res) => res.end('reached'));
  const guard = new OutboundHttp({
    hostAllowlist: [],
    allowPrivate: false,
    resolve: async (host) => (host === 'evil.test' ? ['10.0.0.1'] : host === 'sneaky.test' ? ['8.8.8.8', '127.0.0.1'] : ['203.0.113.7']),
  });
  const cases: [string, RegExp][] = [
    ['file:///etc/passwd', /file scheme is not allowed/],
    ['ldap://example.org/', /ldap scheme/],
    ['gopher://example.org/', /gopher scheme/],
    ['ftp://example.org/', /ftp scheme/],
    [`http://127.0.0.1:${server.port}/`, /loopback/],
    [`http://[::1]:${server.port}/`, /loopback/],
    [`http://[::ffff:127.0.0.1]:${server.port}/`, /loopback/],
    ['http://10.1.2.3/', /private/],
    ['http://172.16.0.1/', /private/],
    ['http://192.168.0.10/', /private/],
    ['http://169.254.169.254/latest/meta-data/', /linkLocal/],
    ['http://100.64.0.1/', /carrierGradeNat/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://224.0.0.1/', /multicast/],
    ['http://evil.test/', /10\.0\.0\.1 is in a blocked range \(private\)/],
    ['http://sneaky.test/', /127\.0\.0\.1 is in a blocked range/],
    ['http://user:pw@example.org/', /credentials in the URL/],
  ];
  for (const [url, reason] of cases) {
    await t.rejects(guard.request(url), { name: 'OutboundBlockedError', message: reason }, url);
  }
  t.equal(server.connections(), 0, 'no connection was made for any of them');
});

t.test('redirects are checked hop by hop', async (t) => {
  const target = await localServer(t, (_req, res) => res.end('internal secret'));
  const redirector = await localServer(t, (_req, res) => {
    res.writeHead(302, { location: `http://127.0.0.1:${target.port}/admin` }).end();
  });
  const guard = new OutboundHttp({ hostAllowlist: ['localhost'], allowPrivate: false, resolve: async () => ['127.0.0.1'] });
  await t.rejects(guard.request(`http://localhost:${redirector.port}/hook`), {
    name: 'OutboundBlockedError',
    message: /127\.0\.0\.1 is in a blocked range \(loopback\)/,
  });
  t.equal(redirector.connections(), 1, 'the allowlisted first hop was reached');
  t.equal(target.connections(), 0, 'the redirect to loopback was not followed');
});

t.test('allowlisted hosts, pinned addresses, size and time limits', async (t) => {
  const server = await localServer(t, (req, res) => {
    if (req.url === '/big') return res.end('x'.repeat(5000));
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000);
    if (req.url === '/moved') return res.writeHead(307, { location: '/final' }).end();
    res.end(`${req.method} ${req.url} host=${req.headers.host}`);
  });
  const guard = new OutboundHttp({ hostAllowlist: ['hooks.internal'], allowPrivate: false, resolve: async () => ['127.0.0.1'] });
  const ok = await guard.request(`http://hooks.internal:${server.port}/moved`, { method: 'POST', body: 'x' });
  t.equal(ok.status, 200);
  t.equal(ok.body.toString(), `POST /final host=hooks.internal:${server.port}`, 'the connection went to the checked address, with the original Host header');
  await t.rejects(guard.request(`http://hooks.internal:${server.port}/big`, { maxResponseBytes: 1000 }), { message: /larger than 1000 bytes/ });
  await t.rejects(guard.request(`http://hooks.internal:${server.port}/slow`, { timeoutMs: 200 }), { message: /no complete answer within 200 ms/ });
  const open = new OutboundHttp({ hostAllowlist: [], allowPrivate: true });
  t.equal((await open.request(`http://127.0.0.1:${server.port}/dev`)).status, 200, 'ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS lifts the block');
  t.ok(new OutboundBlockedError('x') instanceof Error);
});

t.test('the time limit is a deadline for the whole exchange: a trickling receiver and a chain of slow redirects are cut off', async (t) => {
  const drips = new Set<NodeJS.Timeout>();
  t.teardown(() => {
    for (const drip of drips) clearInterval(drip);
  });
  const server = await localServer(t, (req, res) => {
    const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
    if (hop) return setTimeout(() => res.writeHead(302, { location: `/hop/${Number(hop[1]) + 1}` }).end(), 150);
    // Headers at once, then a byte every 50 ms and never the end: never idle, never done.
    res.writeHead(200, { 'content-type': 'text/plain' });
    const drip = setInterval(() => res.write('.'), 50);
    drips.add(drip);
    res.on('close', () => clearInterval(drip));
  });
  const guard = new OutboundHttp({ hostAllowlist: [], allowPrivate: true });
  await t.rejects(guard.request(`http://127.0.0.1:${server.port}/drip`, { timeoutMs: 500 }), { message: 'no complete answer within 500 ms' });
  await t.rejects(guard.request(`http://127.0.0.1:${server.port}/hop/1`, { timeoutMs: 500, maxRedirects: 20 }), {
    message: 'no complete answer within 500 ms',
  });
  const cancelled = new AbortController();
  const pending = guard.request(`http://127.0.0.1:${server.port}/drip`, { timeoutMs: 60_000, signal: cancelled.signal });
  cancelled.abort();
  await t.rejects(pending, { message: 'the request was cancelled' });
});
