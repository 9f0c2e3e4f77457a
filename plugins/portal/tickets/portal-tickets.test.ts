import t from 'tap';
import { startPortal } from '../portal.testkit.ts';

t.test('portal tickets: a client opens, lists, comments and reopens its own tickets in the one ticket model', async (t) => {
  const w = await startPortal(t);
  const created = await w.write('POST', '/api/v1/portal/tickets', w.initech, { title: 'Printer on fire', description: 'Again', priority: 'high' });
  t.equal(created.status, 201, created.text);
  t.match(created.json, { title: 'Printer on fire', status: 'new', priority: 'high', requester: 'boss@initech.test', conversation: [] });
  t.notOk('assignee' in created.json, 'staff-only fields stay out');

  const colleague = await w.sessionFor(w.initech.id, 'milton@initech.test');
  const added = await w.write('POST', `/api/v1/portal/tickets/${created.json.id}/update`, colleague, { comment: 'Mine too' });
  t.match(added.json.conversation, [{ author: 'milton@initech.test', body: 'Mine too' }]);
  const staffView = await w.read(`/api/v1/tickets/${created.json.id}`, w.acmeOps);
  t.equal(staffView.json.sla.firstRespondedAt, null, "a client's comment, even not the requester's, is no first response");
  t.match(staffView.json, { clientId: w.initech.id, requester: 'boss@initech.test', source: 'portal' }, 'the same ticket staff work on');
  await w.write('POST', `/api/v1/tickets/${created.json.id}/comments`, w.acmeOps, { body: 'On our way', visibility: 'public' });
  await w.write('POST', `/api/v1/tickets/${created.json.id}/comments`, w.acmeOps, { body: 'Client is grumpy', visibility: 'internal' });
  const staffTicket = await w.write('PATCH', `/api/v1/tickets/${created.json.id}`, w.acmeOps, { status: 'resolved', version: staffView.json.version });
  t.equal(staffTicket.status, 200, staffTicket.text);

  await w.write('POST', '/api/v1/tickets', w.acmeOps, { title: 'Umbrella ticket', clientId: w.umbrella.id });
  const list = await w.read('/api/v1/portal/tickets', w.initech);
  t.equal(list.status, 200, list.text);
  t.equal(list.json.page.total, 1, "only the client's own tickets");
  t.match(list.json.data[0], {
    id: created.json.id,
    status: 'resolved',
    conversation: [{ body: 'Mine too' }, { author: 'olivia@acme.test', body: 'On our way' }],
  });
  t.equal(list.json.data[0].conversation.length, 2, 'internal notes are never shown');
  t.not((await w.read(`/api/v1/tickets/${created.json.id}`, w.acmeOps)).json.sla.firstRespondedAt, null, "staff's public reply is the first response");
  t.equal((await w.read('/api/v1/portal/tickets?status=open', w.initech)).json.page.total, 0);

  const reopened = await w.write('POST', `/api/v1/portal/tickets/${created.json.id}/update`, w.initech, { reopen: true, comment: 'Still burning' });
  t.equal(reopened.status, 200, reopened.text);
  t.match(reopened.json, {
    status: 'open',
    conversation: [{ body: 'Mine too' }, { body: 'On our way' }, { author: 'boss@initech.test', body: 'Still burning' }],
  });
  const twice = await w.write('POST', `/api/v1/portal/tickets/${created.json.id}/update`, w.initech, { reopen: true });
  t.equal(twice.status, 409, 'an open ticket is not reopened');
  t.match(twice.json, { error: { code: 'conflict' } });
  t.equal((await w.write('POST', `/api/v1/portal/tickets/${created.json.id}/update`, w.initech, { comment: 'ok' })).status, 200);

  t.equal((await w.write('POST', '/api/v1/portal/tickets', w.initech, { title: '' })).status, 400);
  t.equal((await w.write('POST', '/api/v1/portal/tickets', w.initech, { title: 'x', assignee: 'me' })).status, 400, 'no staff fields');
  t.equal((await w.write('POST', `/api/v1/portal/tickets/${created.json.id}/update`, w.initech, {})).status, 400);
  t.equal((await w.write('POST', '/api/v1/portal/tickets', { headers: {} }, { title: 'x' })).status, 401);
  t.equal((await w.write('POST', '/api/v1/portal/tickets', w.acmeViewer, { title: 'x' })).status, 403);
  t.equal((await w.read('/api/v1/portal/tickets', w.acmeOps)).status, 403);
  t.equal((await w.read(`/api/v1/tickets/${created.json.id}`, w.initech)).status, 403, 'the staff API is not the portal');
});

t.test("portal isolation: client A's session gets 404 for client B's ticket", async (t) => {
  const w = await startPortal(t);
  const theirs = await w.write('POST', '/api/v1/portal/tickets', w.umbrella, { title: 'T-virus leak' });
  t.equal(theirs.status, 201);
  const poke = await w.write('POST', `/api/v1/portal/tickets/${theirs.json.id}/update`, w.initech, { comment: 'peek' });
  t.equal(poke.status, 404);
  t.match(poke.json, { error: { code: 'not_found' } });
  t.equal((await w.write('POST', `/api/v1/portal/tickets/${theirs.json.id}/update`, w.initech, { reopen: true })).status, 404);
  const staffTicket = await w.write('POST', '/api/v1/tickets', w.globexAdmin, { title: 'Globex ticket', clientId: w.initech.id });
  t.equal(staffTicket.status, 201);
  t.equal(
    (await w.write('POST', `/api/v1/portal/tickets/${staffTicket.json.id}/update`, w.initech, { comment: 'x' })).status,
    404,
    "another workspace's ticket",
  );
  t.equal((await w.read('/api/v1/portal/tickets', w.initech)).json.page.total, 0, 'even one naming the same client id');
});
