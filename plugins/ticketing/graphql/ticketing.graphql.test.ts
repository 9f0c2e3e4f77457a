import t from 'tap';
import { call, eventually, subscriptionClient } from '../../../core/plugin-api/testing.ts';
import { startTicketing } from '../ticketing.testkit.ts';

const ticketFields = 'id title status priority version tags assignee sla { resolutionDueAt paused } links { type target }';

t.test('GraphQL: tickets query with filters and a connection, mutations mirroring REST, tenant scoping', async (t) => {
  const w = await startTicketing(t);
  const gql = (actor: { headers: Record<string, string> }, query: string, variables?: Record<string, unknown>) =>
    call(w.kernel, 'POST', '/graphql', { headers: actor.headers, body: { query, variables } });

  const created = await gql(w.acmeOps, `mutation($input: TicketCreateInput!) { createTicket(input: $input) { ${ticketFields} } }`, {
    input: { title: 'Backup failed', priority: 'high', tags: ['backup'] },
  });
  t.same(created.json.errors, undefined, created.text);
  const id = created.json.data.createTicket.id;
  t.match(created.json.data.createTicket, { title: 'Backup failed', status: 'new', priority: 'high', version: 1, tags: ['backup'] });
  await gql(w.acmeOps, 'mutation { createTicket(input: { title: "Printer", priority: low }) { id } }');

  const page = await gql(
    w.acmeViewer,
    `{ tickets(filter: { priority: high, q: "backup" }, sortBy: createdAt, limit: 10) {
        data { id title } edges { cursor node { id } } page { total returned totalIsEstimate } sort { by order } filters } }`,
  );
  t.same(page.json.errors, undefined, page.text);
  t.match(page.json.data.tickets, {
    data: [{ id, title: 'Backup failed' }],
    edges: [{ cursor: '0', node: { id } }],
    page: { total: 1, returned: 1, totalIsEstimate: false },
    sort: { by: 'createdAt', order: 'asc' },
    filters: { priority: 'high', q: 'backup' },
  });

  const updated = await gql(w.acmeOps, `mutation { updateTicket(id: "${id}", input: { version: 1, status: open, assignee: "olivia" }) { ${ticketFields} } }`);
  t.match(updated.json.data.updateTicket, { status: 'open', assignee: 'olivia', version: 2 });
  const stale = await gql(w.acmeOps, `mutation { updateTicket(id: "${id}", input: { version: 1, status: pending }) { id } }`);
  t.match(stale.json.errors, [{ extensions: { code: 'conflict' } }], 'a stale version is a conflict');
  const comment = await gql(w.acmeOps, `mutation { addTicketComment(id: "${id}", input: { body: "On it", visibility: public }) { kind visibility body } }`);
  t.match(comment.json.data.addTicketComment, { kind: 'comment', visibility: 'public', body: 'On it' });
  const withTimeline = await gql(w.acmeViewer, `{ ticket(id: "${id}") { title timeline(visibility: public) { data { body } page { total } } } }`);
  t.match(withTimeline.json.data.ticket, { title: 'Backup failed', timeline: { data: [{ body: 'On it' }], page: { total: 1 } } });

  t.match((await gql(w.acmeOps, '{ tickets(limit: 5000) { page { total } } }')).json.errors, [{ extensions: { code: 'validation_failed' } }]);
  t.match((await gql(w.acmeOps, 'mutation { createTicket(input: { title: "" }) { id } }')).json.errors, [{ extensions: { code: 'validation_failed' } }]);
  t.match((await gql(w.acmeViewer, 'mutation { createTicket(input: { title: "viewer" }) { id } }')).json.errors, [{ extensions: { code: 'forbidden' } }]);
  t.equal((await gql(w.globexAdmin, `{ ticket(id: "${id}") { id } }`)).json.data.ticket, null, "another workspace's ticket is null");
  t.equal((await gql(w.globexAdmin, '{ tickets { page { total } } }')).json.data.tickets.page.total, 0);
  t.match((await gql(w.globexAdmin, `mutation { deleteTicket(id: "${id}") }`)).json.errors, [{ extensions: { code: 'not_found' } }]);

  const deleted = await gql(w.acmeOps, `mutation { deleteTicket(id: "${id}") }`);
  t.equal(deleted.json.data.deleteTicket, id);
  t.equal((await gql(w.acmeOps, `{ ticket(id: "${id}") { id } }`)).json.data.ticket, null);
});

t.test("GraphQL subscriptions: seed 001's ticket:created, ticket:updated and ticket:deleted, of the subscriber's workspace only", async (t) => {
  const w = await startTicketing(t);
  const acme = subscriptionClient(t, w.kernel.url, w.acmeOps.token);
  const globex = subscriptionClient(t, w.kernel.url, w.globexAdmin.token);
  const heard: Record<string, { who: string; topic: string; payload: any }[]> = { ticketCreated: [], ticketUpdated: [], ticketDeleted: [] };
  for (const [who, client] of [
    ['acme', acme],
    ['globex', globex],
  ] as const) {
    for (const field of Object.keys(heard)) {
      client.subscribe(
        { query: `subscription { ${field} { topic tenantId payload } }` },
        {
          next: (m: any) => (m.errors ? t.fail(JSON.stringify(m.errors)) : heard[field].push({ who, ...m.data[field] })),
          error: (e) => t.fail(String(e)),
          complete: () => {},
        },
      );
    }
  }
  // Open tickets until the subscriber hears one: from then on it is listening.
  const first = await eventually(async () => {
    await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Heard?' });
    return heard.ticketCreated[0];
  });
  t.match(first, { who: 'acme', topic: 'ticket:created', payload: { ticket: { title: 'Heard?' } } });
  const id = first?.payload.ticket.id;
  await w.write('PATCH', `/api/v1/tickets/${id}`, w.acmeOps, { version: 1, priority: 'high' });
  await w.write('DELETE', `/api/v1/tickets/${id}`, w.acmeOps);
  await eventually(() => heard.ticketDeleted[0]);
  t.match(heard.ticketUpdated, [{ who: 'acme', topic: 'ticket:updated', payload: { ticket: { id, priority: 'high' }, changes: ['priority'] } }]);
  t.match(heard.ticketDeleted, [{ who: 'acme', topic: 'ticket:deleted', payload: { id } }]);
  t.notOk(
    Object.values(heard)
      .flat()
      .some((h) => h.who === 'globex'),
    'globex heard nothing of acme',
  );
});
