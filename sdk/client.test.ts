import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { createClient, createClientFor, ItopsApiError } from './client.ts';
import type { HealthStatus, OperationInfo } from './index.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local API stand-in: records every request and answers with `reply`. */
async function fakeApi(t: Test, reply: (seen: Seen, res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(request);
      reply(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-correlation-id': 'corr-header' });
  res.end(JSON.stringify(body));
};

// A contract of our own for the parts the bundled one does not exercise yet (path, query, body).
type TicketTypes = {
  createTicket: {
    request: { path: { workspace: string }; query?: { notify?: boolean; tags?: string[] }; headers?: { 'Idempotency-Key'?: string }; body: { title: string } };
    response: { id: string; title: string };
  };
  deleteTicket: { request: { path: { workspace: string; id: string } }; response: undefined };
};
const ticketOperations: Record<keyof TicketTypes, OperationInfo> = {
  createTicket: { method: 'POST', path: '/api/v1/workspaces/{workspace}/tickets', public: false, permission: 'tickets:write', requestBody: 'application/json' },
  deleteTicket: { method: 'DELETE', path: '/api/v1/workspaces/{workspace}/tickets/{id}', public: false, permission: 'tickets:write' },
};

t.test('fills the path, query, headers and JSON body, and returns the parsed body', async (t) => {
  const api = await fakeApi(t, (seen, res) => json(res, 201, { id: 't-1', ...JSON.parse(seen.body) }));
  const client = createClientFor<TicketTypes>(ticketOperations, {
    baseUrl: `${api.baseUrl}/`,
    token: 'jwt-abc',
    apiKey: 'isage_key_abc123',
    workspaceId: 'ws-1',
  });
  const created = await client.call('createTicket', {
    path: { workspace: 'acme corp/eu' },
    query: { notify: true, tags: ['db', 'p1'] },
    headers: { 'Idempotency-Key': 'idem-42' },
    body: { title: 'Disk full' },
  });
  t.same(created, { id: 't-1', title: 'Disk full' });
  const [request] = api.seen;
  t.equal(request!.method, 'POST');
  t.equal(request!.url, '/api/v1/workspaces/acme%20corp%2Feu/tickets?notify=true&tags=db&tags=p1');
  t.match(request!.headers, {
    authorization: 'Bearer jwt-abc',
    'x-api-key': 'isage_key_abc123',
    'x-workspace-id': 'ws-1',
    'idempotency-key': 'idem-42',
    'content-type': 'application/json',
    accept: 'application/json, */*;q=0.5',
  });
  t.same(JSON.parse(request!.body), { title: 'Disk full' });
});

t.test('a standard error body becomes an ItopsApiError with its fields', async (t) => {
  const details = { fields: [{ path: '/title', message: 'must not be empty' }] };
  const api = await fakeApi(t, (_, res) =>
    json(res, 422, { error: { code: 'validation_failed', message: 'title is empty', details, correlationId: 'corr-7' } }),
  );
  const client = createClientFor<TicketTypes>(ticketOperations, { baseUrl: api.baseUrl });
  const error = await client.call('createTicket', { path: { workspace: 'w' }, body: { title: '' } }).catch((e) => e);
  t.ok(error instanceof ItopsApiError);
  t.match(error, { name: 'ItopsApiError', status: 422, code: 'validation_failed', message: 'title is empty', details, correlationId: 'corr-7' });
  t.notOk(api.seen[0]!.headers.authorization, 'no credentials are invented');
});

t.test('a body that is not the standard error still gives a usable error', async (t) => {
  const api = await fakeApi(t, (_, res) => {
    res.writeHead(502, { 'content-type': 'text/html', 'x-correlation-id': 'corr-proxy' });
    res.end('<h1>Bad gateway</h1>');
  });
  const error = await createClientFor<TicketTypes>(ticketOperations, { baseUrl: api.baseUrl })
    .call('deleteTicket', { path: { workspace: 'w', id: 't-1' } })
    .catch((e) => e);
  t.match(error, { status: 502, code: 'http_502', correlationId: 'corr-proxy', details: '<h1>Bad gateway</h1>' });
});

t.test('204 resolves to undefined; a missing path parameter fails before sending', async (t) => {
  const api = await fakeApi(t, (_, res) => res.writeHead(204).end());
  const client = createClientFor<TicketTypes>(ticketOperations, { baseUrl: api.baseUrl });
  t.equal(await client.call('deleteTicket', { path: { workspace: 'w', id: 't-1' } }), undefined);
  t.equal(api.seen[0]!.method, 'DELETE');
  await t.rejects(client.call('deleteTicket', { path: { workspace: 'w', id: '' } }), /path parameter "id" is required/);
  t.equal(api.seen.length, 1);
});

t.test('createClient is typed by the bundled contract', async (t) => {
  const api = await fakeApi(t, (seen, res) => (seen.url === '/health' ? json(res, 200, { status: 'ok', version: '0.1.0' }) : res.writeHead(404).end()));
  const client = createClient({ baseUrl: api.baseUrl, fetch: (input, init) => fetch(input, init) });
  const health: HealthStatus = await client.call('getHealth');
  t.same(health, { status: 'ok', version: '0.1.0' });
  // @ts-expect-error an operationId that is not in the contract does not compile
  await t.rejects(client.call('noSuchOperation'), /unknown operation/);
});
