import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import t from 'tap';
import { startTestKernel } from '../testing/test-kernel.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';
import { applyKeepAlive, capUnfinishedRequests, type SlowClientLimits, serverOptions } from './slow-clients.ts';

/** The server the kernel builds (http-module), around a handler that reads the whole body like the body parser. */
async function serve(t: { teardown(fn: () => unknown): void }, overrides: Partial<SlowClientLimits>): Promise<string> {
  const limits = { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxUnfinishedPerAddress: 32, ...overrides };
  const server = http.createServer(
    serverOptions(limits),
    capUnfinishedRequests((req, res) => {
      req.resume();
      req.once('end', () => res.end('done'));
    }, limits.maxUnfinishedPerAddress),
  );
  applyKeepAlive(server, limits);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const get = async (url: string) => (await fetch(`${url}/health`)).status;

/** A client that sends headers announcing a body, then drips it a byte at a time and never finishes. */
function drip(url: string): { socket: net.Socket; closed: Promise<string>; stop: () => void } {
  const { port, hostname } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    received += chunk;
  });
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  socket.write(
    'POST /api/v1/example/scores HTTP/1.1\r\nHost: localhost\r\nAuthorization: Test writer\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
  );
  const timer = setInterval(() => socket.write(' '), 100);
  socket.once('close', () => clearInterval(timer));
  return { socket, closed, stop: () => socket.destroy() };
}

t.test('a client dripping its body is cut off at the request deadline while others are served', async (t) => {
  const url = await serve(t, { requestTimeoutMs: 1500, headersTimeoutMs: 1000 });
  const slow = drip(url);
  t.teardown(slow.stop);
  // Served while the slow body is still arriving.
  t.equal(await get(url), 200, 'another client is served meanwhile');
  const answer = await Promise.race([slow.closed, new Promise<string>((resolve) => setTimeout(() => resolve('still open after 60 s'), 60_000).unref())]);
  t.match(answer, /^HTTP\/1\.1 408/, 'the dripping client gets 408 and the connection is closed');
});

t.test('one address may have only so many requests still sending their body', async (t) => {
  const url = await serve(t, { maxUnfinishedPerAddress: 2 });
  const first = drip(url);
  const second = drip(url);
  t.teardown(() => {
    first.stop();
    second.stop();
  });
  // Both are being received before the third arrives.
  await get(url);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const third = drip(url);
  t.teardown(third.stop);
  const answer = await third.closed;
  t.match(answer, /^HTTP\/1\.1 429/, 'the third unfinished request is refused');
  t.match(answer, /"code":"rate_limited"/, 'in the standard error format');
  t.equal(await get(url), 200, 'requests without a pending body are not limited');
});

t.test('the kernel server takes its deadlines from the configuration', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin], env: { ITOPS_HTTP_REQUEST_TIMEOUT_MS: '1500', ITOPS_HTTP_HEADERS_TIMEOUT_MS: '1000' } });
  const slow = drip(kernel.url);
  t.teardown(slow.stop);
  t.equal(await get(kernel.url), 200, 'another client is served meanwhile');
  const answer = await Promise.race([slow.closed, new Promise<string>((resolve) => setTimeout(() => resolve('still open after 60 s'), 60_000).unref())]);
  t.match(answer, /^HTTP\/1\.1 408/, 'the dripping client gets 408 and the connection is closed');
});
