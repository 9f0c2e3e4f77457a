import t from 'tap';
import { call } from '../../../core/plugin-api/testing.ts';
import { startPortal } from '../portal.testkit.ts';

const exchange = (w: Awaited<ReturnType<typeof startPortal>>, token: string) => call(w.kernel, 'POST', '/api/v1/portal/session/exchange', { body: { token } });

t.test('staff-issued session tokens: shown once, hashed, exchanged once for a session scoped to the client', async (t) => {
  const w = await startPortal(t);
  const issued = await w.write('POST', '/api/v1/portal/session-tokens', w.acmeAdmin, { clientId: w.initech.id, expiresInMinutes: 10 });
  t.equal(issued.status, 201, issued.text);
  t.match(issued.json, { clientId: w.initech.id, email: 'alice@acme.test', createdBy: 'alice@acme.test', expiresAt: String });
  t.match(issued.json.token, /^itpstaff_[\w-]{43}$/);
  const minutes = (Date.parse(issued.json.expiresAt) - Date.parse(issued.json.createdAt)) / 60_000;
  t.equal(Math.round(minutes), 10, 'expires after the minutes asked for');
  const [stored] = await w.kernel.database.platform.query<{ token_hash: Buffer }>('SELECT token_hash FROM portal_session_token WHERE id = ?', [issued.json.id]);
  t.notOk(stored.token_hash.toString('utf8').includes(issued.json.token), 'only a hash is stored');
  t.equal(
    (await w.read('/api/v1/portal/clients', { headers: { authorization: `Bearer ${issued.json.token}` } })).status,
    401,
    'the token itself is no credential',
  );

  const session = await exchange(w, issued.json.token);
  t.equal(session.status, 201, session.text);
  t.match(session.json, { tokenType: 'Bearer', workspaceId: 'acme', clientId: w.initech.id, email: 'alice@acme.test' });
  t.match(session.json.token, /^itp_/);
  const portal = { headers: { authorization: `Bearer ${session.json.token}` } };
  const clients = await w.read('/api/v1/portal/clients', portal);
  t.equal(clients.status, 200, clients.text);
  t.same(
    clients.json.data.map((c: { id: string }) => c.id),
    [w.initech.id],
    'the session sees its client only',
  );
  t.equal((await w.read('/api/v1/clients', portal)).status, 403, 'and holds client_portal only, not its issuer’s role');

  const again = await exchange(w, issued.json.token);
  t.equal(again.status, 409, 'a token opens one session');
  t.match(again.json, { error: { code: 'conflict' } });

  const named = await w.write('POST', '/api/v1/portal/session-tokens', w.acmeAdmin, { clientId: w.umbrella.id, email: 'carlos@umbrella.test' });
  t.equal(named.status, 201, named.text);
  t.match((await exchange(w, named.json.token)).json, { clientId: w.umbrella.id, email: 'carlos@umbrella.test' });

  const expiring = await w.write('POST', '/api/v1/portal/session-tokens', w.acmeAdmin, { clientId: w.initech.id });
  t.equal(Math.round((Date.parse(expiring.json.expiresAt) - Date.parse(expiring.json.createdAt)) / 60_000), 15, '15 minutes by default');
  await w.kernel.database.platform.query("UPDATE portal_session_token SET expires_at = now() - interval '1 second' WHERE id = ?", [expiring.json.id]);
  const expired = await exchange(w, expiring.json.token);
  t.equal(expired.status, 401, 'an expired token is refused');
  t.match(expired.json, { error: { code: 'unauthorized' } });
  t.equal((await exchange(w, 'itpstaff_unknown-token-value')).status, 401);
});

t.test('staff-issued session tokens: bad input, no auth, wrong role, another workspace', async (t) => {
  const w = await startPortal(t);
  const issue = (actor: { headers: Record<string, string> }, body: unknown) => w.write('POST', '/api/v1/portal/session-tokens', actor, body);
  t.equal((await issue(w.acmeAdmin, { clientId: w.initech.id, expiresInMinutes: 61 })).status, 400, 'at most an hour');
  t.equal((await issue(w.acmeAdmin, { clientId: w.initech.id, expiresInMinutes: 0 })).status, 400);
  t.equal((await issue(w.acmeAdmin, { clientId: w.initech.id, email: 'nope' })).status, 400);
  t.equal((await issue(w.acmeAdmin, { clientId: 'not-a-uuid' })).status, 400);
  t.equal((await issue(w.acmeAdmin, {})).status, 400);
  t.equal((await issue({ headers: {} }, { clientId: w.initech.id })).status, 401);
  t.equal((await issue(w.acmeViewer, { clientId: w.initech.id })).status, 403);
  t.equal((await issue(w.acmeOps, { clientId: w.initech.id })).status, 403, 'inviting does not include acting as the client');
  t.equal((await issue(w.acmeBilling, { clientId: w.initech.id })).status, 403);
  t.equal((await issue(w.initech, { clientId: w.initech.id })).status, 403, 'a portal session cannot mint sessions');
  t.equal((await issue(w.globexAdmin, { clientId: w.initech.id })).status, 404, "another workspace's client");
  t.equal((await issue(w.acmeAdmin, { clientId: '00000000-0000-4000-8000-000000000000' })).status, 404);

  const client = await w.read(`/api/v1/clients/${w.umbrella.id}`, w.acmeOps);
  const issued = await issue(w.acmeAdmin, { clientId: w.umbrella.id });
  await w.write('PATCH', `/api/v1/clients/${w.umbrella.id}`, w.acmeOps, { status: 'inactive', version: client.json.version });
  t.equal((await issue(w.acmeAdmin, { clientId: w.umbrella.id })).status, 404, 'an inactive client gets none');
  t.equal((await exchange(w, issued.json.token)).status, 401, "an inactive client's token opens no session");
});
