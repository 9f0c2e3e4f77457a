import { createClient } from 'graphql-ws';
import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

const wsUrl = (url: string) => `${url.replace('http', 'ws')}/graphql/ws`;
const eventsQuery = 'subscription { events(topics: ["example.scored"]) { id topic tenantId payload createdAt } }';

t.test('a connection without valid credentials is closed with 4401', async (t) => {
  const { kernel } = await startWorld(t);
  for (const connectionParams of [{}, { authorization: 'Bearer not-a-token' }]) {
    const client = createClient({ url: wsUrl(kernel.url), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams });
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      client.on('closed', (event) => resolve(event as { code: number; reason: string })),
    );
    t.equal(closed.code, 4401, `refused: ${JSON.stringify(connectionParams)}`);
    await client.dispose();
  }
});

t.test('subscribers receive committed events of their own workspace only', async (t) => {
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [examplePlugin] });
  const connect = (token: string) =>
    createClient({ url: wsUrl(kernel.url), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  const acme = connect(acmeAdmin.token);
  const globex = connect(globexAdmin.token);
  t.teardown(async () => {
    await acme.dispose();
    await globex.dispose();
  });
  const globexSeen: unknown[] = [];
  globex.subscribe({ query: eventsQuery }, { next: (m) => globexSeen.push(m), error: () => {}, complete: () => {} });
  const acmeEvent = new Promise<any>((resolve, reject) => {
    acme.subscribe({ query: eventsQuery }, { next: (m) => resolve(m), error: reject, complete: () => {} });
  });
  await new Promise((resolve) => setTimeout(resolve, 400));
  await call(kernel, 'POST', '/api/v1/example/scores', { headers: acmeAdmin.headers, body: { label: 'over-ws', values: [2, 2] } });
  const received = await acmeEvent;
  t.match(received.data.events, { topic: 'example.scored', tenantId: 'acme', payload: { label: 'over-ws', score: 8 } });
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.same(globexSeen, [], "globex's subscriber received nothing of acme's");
});

t.test('a subscription needs its permission', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t, { plugins: [examplePlugin] });
  const key = (await call(kernel, 'POST', '/api/v1/apikeys', { headers: acmeAdmin.headers, body: { name: 'agent', scope: 'ingestion' } })).json.api_key;
  const client = createClient({ url: wsUrl(kernel.url), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { apiKey: key } });
  t.teardown(() => client.dispose());
  const errors = await new Promise<any>((resolve) => {
    client.subscribe({ query: eventsQuery }, { next: (m) => resolve(m.errors), error: (e) => resolve(e), complete: () => {} });
  });
  t.equal(errors[0].extensions.code, 'forbidden', 'an ingestion key may not subscribe to events');
});

t.test("seed 001's ticket events each have a subscription field, per workspace", async (t) => {
  const { definePlugin, tokens } = await import('../plugin-api/index.ts');
  const tickets = definePlugin({
    id: 'tickets',
    version: '1.0.0',
    host: '*',
    // Seed 001 fixes these topic names; the plugin owns their namespace.
    topicNamespaces: ['ticket'],
    openapi: {
      paths: {
        '/api/v1/test-tickets': {
          post: {
            operationId: 'createTestTicket',
            'x-permission': 'events:read',
            responses: {
              '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
              '401': { description: 'no' },
              '403': { description: 'no' },
            },
          },
        },
      },
    },
    events: [{ topic: 'ticket:created' }, { topic: 'ticket:updated' }, { topic: 'ticket:deleted' }],
    init(ctx) {
      const db = ctx.get(tokens.database);
      const events = ctx.get(tokens.events);
      ctx.handle('createTestTicket', async (req) => {
        await db.forTenant(req.tenantId as string).transaction(async (tx) => {
          for (const topic of ['ticket:created', 'ticket:updated', 'ticket:deleted'])
            await events.publish(tx, { topic, tenantId: req.tenantId, payload: { id: 't-1' } });
        });
        return {};
      });
    },
  });
  const { kernel, acmeAdmin, globexAdmin } = await startWorld(t, { plugins: [tickets] });
  const connect = (token: string) =>
    createClient({ url: wsUrl(kernel.url), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  const acme = connect(acmeAdmin.token);
  const globex = connect(globexAdmin.token);
  t.teardown(async () => {
    await acme.dispose();
    await globex.dispose();
  });
  const seen: string[] = [];
  const globexSeen: unknown[] = [];
  for (const field of ['ticketCreated', 'ticketUpdated', 'ticketDeleted']) {
    acme.subscribe(
      { query: `subscription { ${field} { topic payload } }` },
      { next: (m: any) => seen.push(m.data[field].topic), error: () => {}, complete: () => {} },
    );
    globex.subscribe({ query: `subscription { ${field} { topic } }` }, { next: (m) => globexSeen.push(m), error: () => {}, complete: () => {} });
  }
  await new Promise((resolve) => setTimeout(resolve, 400));
  t.equal((await call(kernel, 'POST', '/api/v1/test-tickets', { headers: acmeAdmin.headers })).status, 200);
  const { eventually } = await import('../testing/eventually.ts');
  t.ok(await eventually(() => (seen.length >= 3 ? true : undefined)), 'three events arrived');
  t.same(seen.sort(), ['ticket:created', 'ticket:deleted', 'ticket:updated']);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(globexSeen, [], 'another workspace receives none');
});
