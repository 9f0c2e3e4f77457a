import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { startPortal } from '../portal.testkit.ts';

t.test('invites: shown once, hashed, listed; exchanged once; revoked; roles and workspaces', async (t) => {
  const w = await startPortal(t);
  const invite = await w.write('POST', '/api/v1/portal/invites', w.acmeOps, { clientId: w.initech.id, email: 'peter@initech.test', expiresInHours: 2 });
  t.equal(invite.status, 201, invite.text);
  t.match(invite.json, { clientId: w.initech.id, email: 'peter@initech.test', state: 'pending', usedAt: null, createdBy: 'olivia@acme.test' });
  t.match(invite.json.token, /^itpinvite_[\w-]{43}$/);

  const stored = await w.kernel.database.platform.query<{ token_hash: Buffer }>('SELECT token_hash FROM portal_invite WHERE id = ?', [invite.json.id]);
  t.not(stored[0].token_hash.toString('utf8'), invite.json.token, 'only a hash is stored');
  const listed = await w.read(`/api/v1/portal/invites?clientId=${w.initech.id}&sortBy=createdAt`, w.acmeOps);
  t.equal(listed.status, 200, listed.text);
  t.equal(listed.json.page.total, 2, "the testkit's invite and this one");
  t.notOk(JSON.stringify(listed.json).includes(invite.json.token), 'lists never show tokens');

  t.equal((await w.write('POST', '/api/v1/portal/invites', w.acmeOps, { clientId: w.initech.id, email: 'nope' })).status, 400);
  t.equal((await w.write('POST', '/api/v1/portal/invites', w.acmeOps, { clientId: w.initech.id, email: 'a@b.test', expiresInHours: 10_000 })).status, 400);
  t.equal((await w.write('POST', '/api/v1/portal/invites', { headers: {} }, { clientId: w.initech.id, email: 'a@b.test' })).status, 401);
  t.equal((await w.write('POST', '/api/v1/portal/invites', w.acmeViewer, { clientId: w.initech.id, email: 'a@b.test' })).status, 403);
  t.equal((await w.write('POST', '/api/v1/portal/invites', w.initech, { clientId: w.initech.id, email: 'a@b.test' })).status, 403, 'a client cannot invite');
  t.equal(
    (await w.write('POST', '/api/v1/portal/invites', w.globexAdmin, { clientId: w.initech.id, email: 'a@b.test' })).status,
    404,
    "another workspace's client",
  );
  t.equal((await w.read('/api/v1/portal/invites', w.globexAdmin)).json.page.total, 0);

  const exchanged = await call(w.kernel, 'POST', '/api/v1/portal/session/exchange', { body: { token: invite.json.token } });
  t.equal(exchanged.status, 201, exchanged.text);
  t.match(exchanged.json, { tokenType: 'Bearer', workspaceId: 'acme', clientId: w.initech.id, email: 'peter@initech.test' });
  t.match(exchanged.json.token, /^itp_/);
  const again = await call(w.kernel, 'POST', '/api/v1/portal/session/exchange', { body: { token: invite.json.token } });
  t.equal(again.status, 409, 'an invite is used once');
  t.match(again.json, { error: { code: 'conflict' } });
  t.equal((await call(w.kernel, 'POST', '/api/v1/portal/session/exchange', { body: { token: 'itpinvite_unknown-token-value' } })).status, 401);
  t.equal((await call(w.kernel, 'POST', '/api/v1/portal/session/exchange', { body: {} })).status, 400);
  t.equal((await w.write('POST', `/api/v1/portal/invites/${invite.json.id}/revoke`, w.acmeOps)).status, 409, 'a used invite is not revoked');
  t.equal((await w.read(`/api/v1/portal/invites?clientId=${w.initech.id}`, w.acmeOps)).json.data[0].state, 'used');

  const other = await w.write('POST', '/api/v1/portal/invites', w.acmeOps, { clientId: w.umbrella.id, email: 'alice@umbrella.test' });
  t.equal((await w.write('POST', `/api/v1/portal/invites/${other.json.id}/revoke`, w.acmeViewer)).status, 403);
  t.equal((await w.write('POST', `/api/v1/portal/invites/${other.json.id}/revoke`, w.globexAdmin)).status, 404);
  t.equal((await w.write('POST', `/api/v1/portal/invites/${other.json.id}/revoke`, { headers: {} })).status, 401);
  t.equal((await w.write('POST', '/api/v1/portal/invites/not-a-uuid/revoke', w.acmeOps)).status, 400);
  const revoked = await w.write('POST', `/api/v1/portal/invites/${other.json.id}/revoke`, w.acmeOps);
  t.equal(revoked.status, 200, revoked.text);
  t.equal(revoked.json.state, 'revoked');
  t.equal((await w.write('POST', `/api/v1/portal/invites/${other.json.id}/revoke`, w.acmeOps)).json.state, 'revoked', 'revoking again changes nothing');
  t.equal((await call(w.kernel, 'POST', '/api/v1/portal/session/exchange', { body: { token: other.json.token } })).status, 401, 'a revoked invite is refused');

  const expiring = await w.write('POST', '/api/v1/portal/invites', w.acmeOps, { clientId: w.umbrella.id, email: 'late@umbrella.test', expiresInHours: 1 });
  await w.kernel.database.platform.query("UPDATE portal_invite SET expires_at = now() - interval '1 second' WHERE id = ?", [expiring.json.id]);
  t.equal(
    (await call(w.kernel, 'POST', '/api/v1/portal/session/exchange', { body: { token: expiring.json.token } })).status,
    401,
    'an expired invite is refused',
  );
});

t.test('sessions: scoped to their workspace, refused when expired, terminated, or their client deactivated', async (t) => {
  const w = await startPortal(t);
  t.equal((await w.read('/api/v1/portal/clients', w.initech)).status, 200);
  t.equal((await w.read('/api/v1/clients', w.initech)).status, 403, 'client_portal holds no staff permission');
  t.equal((await w.read('/api/v1/portal/clients', { headers: { authorization: 'Bearer itp_forged' } })).status, 401);

  const session = await w.sessionFor(w.initech.id, 'milton@initech.test');
  await w.kernel.database.platform.query("UPDATE portal_session SET expires_at = now() - interval '1 second' WHERE email = 'milton@initech.test'");
  const expired = await w.read('/api/v1/portal/clients', session);
  t.equal(expired.status, 401);
  t.match(expired.json, { error: { code: 'unauthorized' } });

  t.equal((await w.write('POST', '/api/v1/portal/session/terminate', { headers: {} })).status, 401);
  t.equal((await w.write('POST', '/api/v1/portal/session/terminate', w.acmeAdmin)).status, 403, 'staff have no portal session to end');
  t.equal((await w.write('POST', '/api/v1/portal/session/terminate', w.initech)).status, 204);
  t.equal((await w.read('/api/v1/portal/clients', w.initech)).status, 401, 'a terminated session is refused');

  const umbrellaClient = await w.read(`/api/v1/clients/${w.umbrella.id}`, w.acmeOps);
  await w.write('PATCH', `/api/v1/clients/${w.umbrella.id}`, w.acmeOps, { status: 'inactive', version: umbrellaClient.json.version });
  t.equal((await w.read('/api/v1/portal/clients', w.umbrella)).status, 401, "a deactivated client's sessions stop");
});
