import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local receiver that never finishes an answer: it sends the status line and headers at once,
 * then one byte every `everyMs` forever. The connection is never idle, so only a deadline on the
 * whole exchange ends it. Records each request's headers; closes its connections when the test ends.
 */
export async function startDripReceiver(t: { teardown(fn: () => unknown): void }, everyMs = 2000) {
  const received: http.IncomingHttpHeaders[] = [];
  const drips = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('.');
    const drip = setInterval(() => res.write('.'), everyMs);
    drips.add(drip);
    res.on('close', () => {
      clearInterval(drip);
      drips.delete(drip);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const drip of drips) clearInterval(drip);
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: (path: string) => `${base}${path}`, received };
}
