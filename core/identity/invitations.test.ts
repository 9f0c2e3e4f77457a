import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { login, memberPassword, startWorld } from '../testing/identity-fixtures.ts';

t.test('a workspace admin cannot enroll another tenant’s user by id, nor learn anything about them', async (t) => {
  const { kernel, acmeOps, globexAdmin } = await startWorld(t);
  const foreign = await call(kernel, 'PUT', `/api/v1/members/${acmeOps.id}`, { headers: globexAdmin.headers, body: { role: 'viewer' } });
  const unknownId = '00000000-0000-4000-8000-000000000000';
  const unknown = await call(kernel, 'PUT', `/api/v1/members/${unknownId}`, { headers: globexAdmin.headers, body: { role: 'viewer' } });
  t.equal(foreign.status, 404, 'a user of another tenant is not added');
  t.equal(unknown.status, 404);
  t.equal(foreign.json.error.code, unknown.json.error.code);
  t.equal(foreign.json.error.message.replace(acmeOps.id, 'ID'), unknown.json.error.message.replace(unknownId, 'ID'), 'answered exactly as for an unknown user');
  t.notMatch(foreign.text, acmeOps.email, 'their e-mail is not revealed');

  const me = await call(kernel, 'GET', '/api/v1/auth/me', { headers: acmeOps.headers });
  t.same(
    me.json.memberships.map((m: { tenantId: string }) => m.tenantId),
    ['acme'],
    'the user still has one workspace',
  );
  t.equal((await call(kernel, 'GET', '/api/v1/rbac/permissions', { headers: acmeOps.headers })).status, 200, 'and needs no x-workspace-id');
});

t.test('adding an existing user is an invitation they accept', async (t) => {
  const { kernel, admin, acmeOps, acmeViewer, globexAdmin } = await startWorld(t);
  const invited = await call(kernel, 'POST', '/api/v1/invitations', { headers: globexAdmin.headers, body: { email: 'Olivia@acme.test', role: 'viewer' } });
  t.equal(invited.status, 201);
  t.match(invited.json, { id: String, tenantId: 'globex', email: 'olivia@acme.test', role: 'viewer', expiresAt: String });
  t.notOk('userId' in invited.json, 'whether the address has an account is not said');
  const nobody = await call(kernel, 'POST', '/api/v1/invitations', { headers: globexAdmin.headers, body: { email: 'nobody@nowhere.test', role: 'viewer' } });
  t.equal(nobody.status, 201, 'an address without an account is answered alike');
  t.equal((await call(kernel, 'POST', '/api/v1/invitations', { headers: acmeViewer.headers, body: { email: 'x@y.test', role: 'viewer' } })).status, 403);

  const mine = await call(kernel, 'GET', '/api/v1/invitations', { headers: acmeOps.headers });
  t.equal(mine.status, 200);
  t.same(
    mine.json.invitations.map((i: { id: string; tenantId: string; role: string }) => [i.id, i.tenantId, i.role]),
    [[invited.json.id, 'globex', 'viewer']],
    'the invitee sees the invitation',
  );
  t.same((await call(kernel, 'GET', '/api/v1/invitations', { headers: acmeViewer.headers })).json.invitations, [], 'nobody else does');
  t.equal((await call(kernel, 'POST', `/api/v1/invitations/${invited.json.id}/accept`, { headers: acmeViewer.headers })).status, 404, 'nor may accept it');

  const accepted = await call(kernel, 'POST', `/api/v1/invitations/${invited.json.id}/accept`, { headers: acmeOps.headers });
  t.equal(accepted.status, 200);
  t.match(accepted.json, { tenantId: 'globex', role: 'viewer' });
  const me = await call(kernel, 'GET', '/api/v1/auth/me', { headers: acmeOps.headers });
  t.same(me.json.memberships.map((m: { tenantId: string }) => m.tenantId).sort(), ['acme', 'globex'], 'the user joined by accepting');
  t.equal(
    (await call(kernel, 'POST', `/api/v1/invitations/${invited.json.id}/accept`, { headers: acmeOps.headers })).status,
    404,
    'an invitation is used once',
  );
  const members = await call(kernel, 'GET', '/api/v1/members', { headers: globexAdmin.headers });
  t.ok(
    members.json.data.some((m: { email: string }) => m.email === 'olivia@acme.test'),
    'a member’s e-mail is visible to the workspace once they joined',
  );

  // A user in no workspace yet can see and accept invitations too.
  t.equal((await call(kernel, 'POST', '/api/v1/users', { headers: admin.headers, body: { email: 'new@people.test', password: memberPassword } })).status, 201);
  const newcomer = await login(kernel, 'new@people.test', memberPassword);
  const welcome = await call(kernel, 'POST', '/api/v1/invitations', { headers: globexAdmin.headers, body: { email: 'new@people.test', role: 'ops_engineer' } });
  const theirs = await call(kernel, 'GET', '/api/v1/invitations', { headers: newcomer.headers });
  t.equal(theirs.status, 200);
  t.equal(theirs.json.invitations.length, 1);
  t.equal((await call(kernel, 'POST', `/api/v1/invitations/${welcome.json.id}/accept`, { headers: newcomer.headers })).status, 200);
  t.equal((await call(kernel, 'GET', '/api/v1/rbac/permissions', { headers: newcomer.headers })).json.role, 'ops_engineer');
});
