import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { checkOperationRules } from '../contract/operation-rules.ts';
import { AppError } from '../errors/app-error.ts';
import { rawBodyProblem, readRawBody } from './raw-body.ts';

/** A server that reads each request's body with `rule` and answers what it kept, or the error's status. */
async function echoServer(t: { teardown(fn: () => unknown): void }, rule = { keepBytes: 5, maxBytes: 20 }) {
  const server = http.createServer(async (req, res) => {
    try {
      const { kept, bytes } = await readRawBody(req, rule);
      res.end(JSON.stringify({ kept: kept.toString(), bytes }));
    } catch (error) {
      res.writeHead(error instanceof AppError ? error.status : 500, { connection: 'close' }).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

t.test('keeps the first keepBytes bytes and counts them all, whatever the media type', async (t) => {
  const url = await echoServer(t);
  const post = async (body?: string | Buffer) => (await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })).json();
  t.same(await post('hello world'), { kept: 'hello', bytes: 11 });
  t.same(await post('hi'), { kept: 'hi', bytes: 2 });
  t.same(await post(), { kept: '', bytes: 0 });
  t.same(await post(Buffer.alloc(20, 'z')), { kept: 'zzzzz', bytes: 20 }, 'exactly maxBytes is accepted');
});

t.test('over maxBytes: 413, announced (Content-Length) or streamed', async (t) => {
  const url = await echoServer(t);
  t.equal((await fetch(url, { method: 'POST', body: Buffer.alloc(21) })).status, 413);
  const streamed = new ReadableStream({
    start(controller) {
      for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(8));
      controller.close();
    },
  });
  t.equal((await fetch(url, { method: 'POST', body: streamed, duplex: 'half' } as RequestInit)).status, 413);
});

t.test('contract rules: x-raw-body is { keepBytes, maxBytes } and its body is declared */*', async (t) => {
  t.equal(rawBodyProblem(undefined), null);
  t.equal(rawBodyProblem({ keepBytes: 10, maxBytes: 100 }), null);
  for (const bad of [true, { keepBytes: 0, maxBytes: 10 }, { keepBytes: 11, maxBytes: 10 }, { keepBytes: 1.5, maxBytes: 10 }, {}]) {
    t.match(rawBodyProblem(bad), /x-raw-body must be/, JSON.stringify(bad));
  }
  const operation = (extra: Record<string, unknown>) => ({
    operationId: 'upload',
    'x-public': true,
    'x-raw-body': { keepBytes: 10, maxBytes: 100 },
    responses: { '200': { description: 'ok', content: { 'text/plain': {} } }, '400': { description: 'bad' } },
    ...extra,
  });
  const problems = (op: Record<string, unknown>, components = {}) => checkOperationRules({ paths: { '/u': { post: op } }, components }, 'test', new Set());
  t.same(problems(operation({ requestBody: { content: { '*/*': { schema: { type: 'string' } } } } })), []);
  t.same(problems(operation({ requestBody: { $ref: '#/components/requestBodies/B' } }), { requestBodies: { B: { content: { '*/*': {} } } } }), []);
  t.match(problems(operation({ requestBody: { content: { 'application/json': {} } } })), [/must declare exactly the media type \*\/\*/]);
  t.match(problems(operation({ 'x-raw-body': { keepBytes: 10 }, requestBody: { content: { '*/*': {} } } })), [/x-raw-body must be/]);
});
