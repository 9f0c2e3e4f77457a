import { randomUUID } from 'node:crypto';
import { call } from '../../core/plugin-api/testing.ts';
import { login, memberPassword, startWorld } from '../../core/testing/identity-fixtures.ts';
import ticketing from '../ticketing/plugin.ts';
import { createPortalPlugin, type PortalOptions } from './plugin.ts';

type Kernel = Parameters<typeof call>[0];
type Headers = { headers: Record<string, string> };

/**
 * acme and globex with the portal (and any plugins the test adds), a billing user in acme, and two
 * acme clients, Initech and Umbrella, each with a signed-in portal session.
 */
export async function startPortal(t: Parameters<typeof startWorld>[0], options: { plugins?: unknown[]; portal?: PortalOptions } = {}) {
  const world = await startWorld(t, { plugins: [ticketing, ...(options.plugins ?? []), createPortalPlugin(options.portal)] });
  const kernel: Kernel = world.kernel;
  const write = (method: string, path: string, actor: Headers, body?: unknown, key: string = randomUUID()) =>
    call(kernel, method, path, { headers: { ...actor.headers, 'idempotency-key': key }, body });
  const read = (path: string, actor: Headers) => call(kernel, 'GET', path, { headers: actor.headers });

  const billingUser = await call(kernel, 'POST', '/api/v1/users', {
    headers: world.admin.headers,
    body: { email: 'bill@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'billing' }] },
  });
  if (billingUser.status !== 201) throw new Error(`billing user: ${billingUser.status} ${billingUser.text}`);
  const acmeBilling = await login(kernel, 'bill@acme.test', memberPassword);

  /** A client of acme and a portal session for it, through invite and exchange as a client would. */
  const clientWithSession = async (name: string) => {
    const client = await write('POST', '/api/v1/clients', world.acmeOps, { name, email: `it@${name.toLowerCase()}.test` });
    if (client.status !== 201) throw new Error(`client ${name}: ${client.status} ${client.text}`);
    const session = await sessionFor(client.json.id, `boss@${name.toLowerCase()}.test`);
    return { id: client.json.id as string, ...session };
  };
  const sessionFor = async (clientId: string, email: string) => {
    const invite = await write('POST', '/api/v1/portal/invites', world.acmeOps, { clientId, email });
    if (invite.status !== 201) throw new Error(`invite: ${invite.status} ${invite.text}`);
    const exchanged = await call(kernel, 'POST', '/api/v1/portal/session/exchange', { body: { token: invite.json.token } });
    if (exchanged.status !== 201) throw new Error(`exchange: ${exchanged.status} ${exchanged.text}`);
    return { token: exchanged.json.token as string, headers: { authorization: `Bearer ${exchanged.json.token}` } };
  };
  const initech = await clientWithSession('Initech');
  const umbrella = await clientWithSession('Umbrella');
  return { ...world, kernel, write, read, acmeBilling, initech, umbrella, sessionFor };
}
