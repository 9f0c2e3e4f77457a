import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A local HTTP server on 127.0.0.1 standing in for a webhook or chat receiver: it records every
 * request, answers what `reply` says, counts connections (to prove a refused call opened none) and
 * closes when the test ends.
 */
export async function startReceiver(t: { teardown(fn: () => unknown): void }, reply: (request: ReceivedRequest) => Reply = () => ({ status: 200 })) {
  const received: ReceivedRequest[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      received.push(request);
      const answer = reply(request);
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, url: (path: string) => `${base}${path}`, received, connections: () => connections };
}
