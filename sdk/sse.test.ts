import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { ItopsApiError } from './api-error.ts';
import { EventStreamParser, readEventStream, type ServerSentEvent } from './sse.ts';

/** A local server whose n-th connection is answered by handlers[n]; it records each request's headers. */
async function eventServer(t: Test, handlers: ((req: IncomingMessage, res: ServerResponse) => void)[]) {
  const requests: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    const handler = handlers[Math.min(requests.length - 1, handlers.length - 1)]!;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/events`, requests };
}

const stream = (res: ServerResponse, chunks: string[], end = true) => {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  for (const chunk of chunks) res.write(chunk);
  if (end) res.end();
};

async function collect(iterable: AsyncIterable<ServerSentEvent>) {
  const out: ServerSentEvent[] = [];
  for await (const event of iterable) out.push(event);
  return out;
}

t.test('reads events, skips heartbeats, and resumes with Last-Event-ID after a disconnect', async (t) => {
  const server = await eventServer(t, [
    (_, res) =>
      stream(res, [
        ': heartbeat\n\n',
        'retry: 5\n\n',
        'id: 1\nevent: alert.fired\ndata: {"alertId":"a-1"}\n\n',
        ': heartbeat\n',
        'id: 2\r\ndata: first line\r\ndata:second line\r\n\r\n',
        'data: cut off by the disconnect',
      ]),
    (_, res) => stream(res, ['id: 3\ndata: after the reconnect\n\n']),
    (_, res) => {
      res.writeHead(204);
      res.end();
    },
  ]);
  const events = await collect(readEventStream({ url: server.url, headers: { authorization: 'Bearer t0k' }, retryMs: 5000 }));
  t.same(events, [
    { id: '1', event: 'alert.fired', data: '{"alertId":"a-1"}' },
    { id: '2', event: 'message', data: 'first line\nsecond line' },
    { id: '3', event: 'message', data: 'after the reconnect' },
  ]);
  t.equal(server.requests.length, 3, 'two reconnects, the second answered 204 (stop)');
  t.equal(server.requests[0]!['last-event-id'], undefined);
  t.equal(server.requests[1]!['last-event-id'], '2');
  t.equal(server.requests[2]!['last-event-id'], '3');
  t.equal(server.requests[1]!.authorization, 'Bearer t0k', 'headers are sent again on reconnect');
  t.equal(server.requests[0]!.accept, 'text/event-stream');
});

t.test('gives up after maxReconnects connections in a row without an event', async (t) => {
  const server = await eventServer(t, [(_, res) => stream(res, [': nothing to say\n\n'])]);
  t.same(await collect(readEventStream({ url: server.url, maxReconnects: 2, retryMs: 1, lastEventId: '41' })), []);
  t.equal(server.requests.length, 3, 'the first connection and two reconnects');
  t.ok(
    server.requests.every((h) => h['last-event-id'] === '41'),
    'a given lastEventId is sent from the first connect',
  );
});

t.test('an error answer throws ItopsApiError without retrying; 5xx is retried', async (t) => {
  const refuse = (status: number) => (_: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: status === 401 ? 'unauthorized' : 'unavailable', message: 'no', correlationId: 'c-1' } }));
  };
  const denied = await eventServer(t, [refuse(401)]);
  const error = await collect(readEventStream({ url: denied.url, retryMs: 1 })).catch((e) => e);
  t.ok(error instanceof ItopsApiError);
  t.match(error, { status: 401, code: 'unauthorized', correlationId: 'c-1' });
  t.equal(denied.requests.length, 1);

  const flaky = await eventServer(t, [refuse(503), (_, res) => stream(res, ['data: back\n\n'], true), (_, res) => res.writeHead(204).end()]);
  t.same(await collect(readEventStream({ url: flaky.url, retryMs: 1 })), [{ id: undefined, event: 'message', data: 'back' }]);
});

t.test('a refused connection is retried a bounded number of times, then thrown', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  let attempts = 0;
  const counting: typeof fetch = (input, init) => {
    attempts++;
    return fetch(input, init);
  };
  await t.rejects(collect(readEventStream({ url: `http://127.0.0.1:${port}/`, fetch: counting, maxReconnects: 3, retryMs: 1 })));
  t.equal(attempts, 4);
});

t.test('breaking out of the loop closes the connection', async (t) => {
  let closed!: () => void;
  const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
  const server = await eventServer(t, [
    (req, res) => {
      stream(res, ['data: one\n\n', 'data: two\n\n'], false);
      req.socket.on('close', closed);
    },
  ]);
  for await (const event of readEventStream({ url: server.url })) if (event.data === 'one') break;
  await connectionClosed;
  t.pass('the server saw the connection close');
});

t.test('the parser handles any chunking, CR line ends, comments and empty data', async (t) => {
  const text = ': comment\r\nevent: a\rdata\rdata: x\r\rid: 7\n\nevent: skipped-without-data\n\ndata:  two spaces\n\n';
  const parser = new EventStreamParser();
  const events = [...text].flatMap((char) => parser.push(char));
  t.same(events, [
    { id: undefined, event: 'a', data: '\nx' },
    { id: '7', event: 'message', data: ' two spaces' },
  ]);
});
