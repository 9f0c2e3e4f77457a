import { randomUUID } from 'node:crypto';
import t from 'tap';
import { startTestServer } from '../../../core/plugin-api/testing.ts';
import ticketing from '../../ticketing/plugin.ts';
import portal from '../plugin.ts';

t.test('unlicensing the portal stops its session tokens too; licensing it again brings them back', async (t) => {
  const server = await startTestServer(t, { plugins: [ticketing, portal] });
  const ops = await server.loginAs('ops_engineer');
  const write = (path: string, body: unknown, headers = ops.headers) =>
    server.call('POST', path, { body, headers: { ...headers, 'idempotency-key': randomUUID() } });
  const client = await write('/api/v1/clients', { name: 'Initech' });
  const invite = await write('/api/v1/portal/invites', { clientId: client.json.id, email: 'boss@initech.test' });
  const session = await server.call('POST', '/api/v1/portal/session/exchange', { body: { token: invite.json.token } });
  t.equal(session.status, 201, session.text);
  const asClient = { authorization: `Bearer ${session.json.token}` };
  t.equal((await server.call('GET', '/api/v1/portal/clients', { headers: asClient })).status, 200);
  t.equal((await server.call('GET', '/api/v1/tickets', { headers: asClient })).status, 403, 'a known caller without the permission');

  await server.activateLicense({ plugins: ['ticketing'] });
  const unknown = await server.call('GET', '/api/v1/tickets', { headers: asClient });
  t.equal(unknown.status, 401, 'with the portal off, nobody answers for its tokens');
  t.match(unknown.json, { error: { code: 'unauthorized' } });
  t.equal((await server.call('GET', '/api/v1/portal/clients', { headers: asClient })).status, 404);

  await server.activateLicense({ plugins: ['ticketing', 'portal'] });
  t.equal((await server.call('GET', '/api/v1/portal/clients', { headers: asClient })).status, 200, 'the session outlived the unload');
});
