import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { call } from '../../core/plugin-api/testing.ts';
import { login, memberPassword, startWorld } from '../../core/testing/identity-fixtures.ts';
import automation from './plugin.ts';

type Kernel = Parameters<typeof call>[0];
type Actor = { headers: Record<string, string> };

/**
 * Two workspaces with the automation plugin, an automation operator and a billing clerk in acme, and a local HTTP
 * server standing in for the systems workflows call (private addresses allowed for it).
 */
export async function startAutomation(
  t: Parameters<typeof startWorld>[0],
  options: { env?: Record<string, string>; databaseUrl?: string; plugins?: unknown[] } = {},
) {
  const world = await startWorld(t, {
    plugins: [automation, ...(options.plugins ?? [])] as never,
    env: { ITOPS_SECURITY_ALLOW_PRIVATE_WEBHOOKS: 'true', ITOPS_AUTOMATION_SWEEP_INTERVAL_MS: '200', ...options.env },
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
  });
  const kernel: Kernel = world.kernel;
  const write = (method: string, path: string, actor: Actor, body?: unknown, key: string = randomUUID()) =>
    call(kernel, method, path, { headers: { ...actor.headers, 'idempotency-key': key }, body });
  const read = (path: string, actor: Actor) => call(kernel, 'GET', path, { headers: actor.headers });
  const created = await call(kernel, 'POST', '/api/v1/users', {
    headers: world.admin.headers,
    body: { email: 'otto@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'automation_operator' }] },
  });
  if (created.status !== 201) throw new Error(`automation operator: ${created.status} ${created.text}`);
  const acmeOperator = await login(kernel, 'otto@acme.test', memberPassword);
  const clerk = await call(kernel, 'POST', '/api/v1/users', {
    headers: world.admin.headers,
    body: { email: 'bill@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'billing' }] },
  });
  if (clerk.status !== 201) throw new Error(`billing clerk: ${clerk.status} ${clerk.text}`);
  /** A role with none of the plugin's permissions. */
  const acmeBilling = await login(kernel, 'bill@acme.test', memberPassword);
  return { ...world, kernel, write, read, acmeOperator, acmeBilling };
}

export interface Received {
  method: string;
  path: string;
  body: string;
}

/** A local HTTP server: records every request; `respond` decides each answer (default 200 `{ok:true}`). */
export async function targetServer(
  t: { teardown(fn: () => unknown): void },
  respond: (request: Received) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown } = () => ({ status: 200, body: { ok: true } }),
) {
  const received: Received[] = [];
  // Requests not yet answered whose caller is still connected: a caller that gives up closes its socket.
  let waiting = 0;
  const server = http.createServer((req, res) => {
    waiting += 1;
    res.once('close', () => (waiting -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const request = { method: req.method as string, path: req.url as string, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      const answer = await respond(request);
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(() => new Promise((done) => server.close(done)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, waiting: () => waiting };
}
