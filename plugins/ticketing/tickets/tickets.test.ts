import t from 'tap';
import { call, eventually } from '../../../core/plugin-api/testing.ts';
import { startTicketing } from '../ticketing.testkit.ts';

t.test('tickets: create, read, list with conventions, change, delete', async (t) => {
  const w = await startTicketing(t);
  const events: { topic: string; payload: any }[] = [];
  w.kernel.events.subscribe((e) => events.push(e as any));

  const created = await w.write('POST', '/api/v1/tickets', w.acmeOps, {
    title: 'Mail server down',
    description: 'Nobody receives mail since 08:00',
    priority: 'high',
    requester: 'carol@client.test',
    clientId: 'client-1',
    tags: ['mail', 'outage'],
    links: [{ type: 'url', target: 'https://status.example.test/1' }],
  });
  t.equal(created.status, 201, created.text);
  t.match(created.json, {
    title: 'Mail server down',
    status: 'new',
    priority: 'high',
    type: 'incident',
    version: 1,
    tags: ['mail', 'outage'],
    sla: { policyId: null, resolutionDueAt: null, paused: false },
  });
  const id = created.json.id as string;

  await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Printer jammed', priority: 'low', assignee: 'olivia' });
  await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'VPN slow', priority: 'urgent', tags: ['network'] });

  const got = await w.read(`/api/v1/tickets/${id}`, w.acmeViewer);
  t.equal(got.status, 200);
  t.equal(got.json.description, 'Nobody receives mail since 08:00');

  const page = await w.read('/api/v1/tickets?sortBy=priority&limit=2', w.acmeViewer);
  t.equal(page.status, 200, page.text);
  t.same(
    page.json.data.map((x: any) => x.title),
    ['VPN slow', 'Mail server down'],
    'sorted by priority, urgent first',
  );
  t.same(page.json.page, { limit: 2, offset: 0, returned: 2, total: 3, totalIsEstimate: false });
  t.same(page.json.sort, { by: 'priority', order: 'asc' });
  const filtered = await w.read('/api/v1/tickets?priority=low&q=PRINTER', w.acmeViewer);
  t.same(
    filtered.json.data.map((x: any) => x.title),
    ['Printer jammed'],
  );
  t.same(filtered.json.filters, { q: 'PRINTER', priority: 'low' });
  t.same((await w.read('/api/v1/tickets?tag=network', w.acmeViewer)).json.data.length, 1, 'tag filter');
  t.same((await w.read('/api/v1/tickets?offset=10', w.acmeViewer)).json.page.total, 3, 'a page past the end still counts');

  const patched = await w.write('PATCH', `/api/v1/tickets/${id}`, w.acmeOps, { version: 1, status: 'open', assignee: 'olivia' });
  t.equal(patched.status, 200, patched.text);
  t.match(patched.json, { status: 'open', assignee: 'olivia', version: 2, title: 'Mail server down' });

  const replaced = await w.write('PUT', `/api/v1/tickets/${id}`, w.acmeOps, { version: 2, title: 'Mail server down (site A)' });
  t.equal(replaced.status, 200, replaced.text);
  t.match(replaced.json, { title: 'Mail server down (site A)', version: 3, priority: 'medium', tags: [], assignee: null, status: 'open' });

  const timeline = await w.read(`/api/v1/tickets/${id}/timeline`, w.acmeViewer);
  t.match(
    timeline.json.data.map((e: any) => [e.kind, e.data]),
    [
      ['status', { from: 'new', to: 'open' }],
      ['assignment', { from: null, to: 'olivia' }],
      ['priority', { from: 'high', to: 'medium' }],
      ['assignment', { from: 'olivia', to: null }],
      ['change', {}],
    ],
  );

  const deleted = await w.write('DELETE', `/api/v1/tickets/${id}`, w.acmeOps);
  t.equal(deleted.status, 204);
  t.equal((await w.read(`/api/v1/tickets/${id}`, w.acmeViewer)).status, 404);
  await eventually(() => events.find((e) => e.topic === 'ticket:deleted'));
  t.match(
    events.filter((e) => e.topic.startsWith('ticket')).map((e) => e.topic),
    [
      'ticket.created',
      'ticket:created',
      'ticket.created',
      'ticket:created',
      'ticket.created',
      'ticket:created',
      'ticket:updated',
      'ticket:updated',
      'ticket:deleted',
    ],
  );
});

t.test('optimistic concurrency: a change against a stale version answers 409 and changes nothing', async (t) => {
  const w = await startTicketing(t);
  const { json: ticket } = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Disk full' });
  t.equal((await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeOps, { version: 1, priority: 'high' })).status, 200);
  const stale = await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeAdmin, { version: 1, priority: 'low' });
  t.equal(stale.status, 409);
  t.match(stale.json.error, { code: 'conflict', details: { currentVersion: 2 } });
  const stalePut = await w.write('PUT', `/api/v1/tickets/${ticket.id}`, w.acmeAdmin, { version: 1, title: 'x' });
  t.equal(stalePut.status, 409);
  t.match((await w.read(`/api/v1/tickets/${ticket.id}`, w.acmeOps)).json, { priority: 'high', title: 'Disk full', version: 2 });
});

t.test('numbers: creations at once in one workspace queue for its counter and each gets its own', async (t) => {
  const w = await startTicketing(t);
  const created = await Promise.all(Array.from({ length: 24 }, (_, i) => w.write('POST', '/api/v1/tickets', w.acmeOps, { title: `Burst ${i}` })));
  t.same(
    created.map((r) => r.status),
    created.map(() => 201),
  );
  t.same(
    created.map((r) => r.json.number as number).sort((a, b) => a - b),
    Array.from({ length: 24 }, (_, i) => i + 1),
    'numbers 1-24, none twice, none skipped',
  );
  t.ok(created.every((r) => r.json.key === `TCK-${r.json.number}`));
  const next = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'After the burst' });
  t.equal(next.json.number, 25);
  const other = await w.write('POST', '/api/v1/tickets', w.globexAdmin, { title: 'Elsewhere' });
  t.equal(other.json.number, 1, 'another workspace counts on its own');
});

t.test('Idempotency-Key: required, replayed, and refused for another body', async (t) => {
  const w = await startTicketing(t);
  const without = await call(w.kernel, 'POST', '/api/v1/tickets', { headers: w.acmeOps.headers, body: { title: 'x' } });
  t.equal(without.status, 400);
  t.match(without.json.error.message, /Idempotency-Key/);
  const first = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Once' }, 'key-1');
  const again = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Once' }, 'key-1');
  t.equal(again.status, 201);
  t.equal(again.json.id, first.json.id, 'the replay answers the first ticket');
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  const other = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Twice' }, 'key-1');
  t.equal(other.status, 422);
  t.equal((await w.read('/api/v1/tickets', w.acmeOps)).json.page.total, 1, 'one ticket only');
});

t.test('comments: public and internal; the first public staff reply is the first response', async (t) => {
  const w = await startTicketing(t);
  const { json: ticket } = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Laptop broken', requester: 'olivia@acme.test' });
  const internal = await w.write('POST', `/api/v1/tickets/${ticket.id}/comments`, w.acmeOps, {
    body: 'Ordering a spare',
    timeSpentMinutes: 15,
    billable: true,
  });
  t.equal(internal.status, 201, internal.text);
  t.match(internal.json, { kind: 'comment', visibility: 'internal', timeSpentMinutes: 15, billable: true, author: 'olivia@acme.test' });
  await w.write('POST', `/api/v1/tickets/${ticket.id}/comments`, w.acmeAdmin, { body: 'A spare is on its way', visibility: 'public' });
  const publicOnly = await w.read(`/api/v1/tickets/${ticket.id}/timeline?visibility=public`, w.acmeViewer);
  t.same(
    publicOnly.json.data.map((e: any) => e.body),
    ['A spare is on its way'],
  );
  t.not((await w.read(`/api/v1/tickets/${ticket.id}`, w.acmeViewer)).json.sla.firstRespondedAt, null, 'first response recorded');
  t.equal((await w.read(`/api/v1/tickets/${ticket.id}/timeline`, w.acmeViewer)).json.page.total, 2);
});

t.test('bad input, no auth, wrong role, other workspace', async (t) => {
  const w = await startTicketing(t);
  const { json: ticket } = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Acme only' });
  t.equal((await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: '' })).status, 400, 'empty title');
  t.equal((await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'x', priority: 'whenever' })).status, 400, 'unknown priority');
  t.equal((await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'x', colour: 'red' })).status, 400, 'unknown field');
  t.equal((await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeOps, { status: 'open' })).status, 400, 'version is required');
  t.equal((await w.read('/api/v1/tickets?sortBy=secret', w.acmeOps)).status, 400, 'sortBy is whitelisted');
  t.equal((await w.read('/api/v1/tickets/not-a-uuid', w.acmeOps)).status, 400);
  const badPolicy = await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'x', slaPolicyId: '00000000-0000-4000-8000-000000000000' });
  t.equal(badPolicy.status, 400);
  t.match(badPolicy.json.error.details, [{ path: '/slaPolicyId' }]);
  const backToNew = await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeOps, { version: 1, status: 'open' });
  t.equal(backToNew.status, 200);
  t.equal((await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.acmeOps, { version: 2, status: 'new' })).status, 422, 'no way back to new');

  t.equal((await w.read('/api/v1/tickets', { headers: {} })).status, 401);
  t.equal((await w.write('POST', '/api/v1/tickets', w.acmeViewer, { title: 'viewer' })).status, 403);
  t.equal((await w.write('DELETE', `/api/v1/tickets/${ticket.id}`, w.acmeViewer)).status, 403);

  t.equal((await w.read(`/api/v1/tickets/${ticket.id}`, w.globexAdmin)).status, 404, 'another workspace sees no such ticket');
  t.equal((await w.write('PATCH', `/api/v1/tickets/${ticket.id}`, w.globexAdmin, { version: 2, title: 'stolen' })).status, 404);
  t.equal((await w.write('DELETE', `/api/v1/tickets/${ticket.id}`, w.globexAdmin)).status, 404);
  t.equal((await w.write('POST', `/api/v1/tickets/${ticket.id}/comments`, w.globexAdmin, { body: 'hi' })).status, 404);
  t.equal((await w.read(`/api/v1/tickets/${ticket.id}/timeline`, w.globexAdmin)).status, 404);
  t.equal((await w.read('/api/v1/tickets', w.globexAdmin)).json.page.total, 0, "globex lists none of acme's tickets");
});
