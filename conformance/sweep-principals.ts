import { randomBytes, randomUUID } from 'node:crypto';
import type { Caller } from './bad-input.ts';
import type { JsonObject } from './contract-document.ts';
import { type ConformanceClient, parseJson } from './http-client.ts';

/**
 * The two workspaces of the cross-tenant sweep and who acts in them: an admin of A (who creates the
 * objects), and in B the two kinds of principal with every workspace permission, an admin signed in
 * with a token and an admin-scoped API key. Each run makes workspaces of its own (random suffix), so
 * the sweep can run again against the same server.
 */

export interface SweepPrincipals {
  workspaceA: string;
  workspaceB: string;
  /** A's admin, falling back to the platform admin for what a workspace admin may not do. */
  adminA: Caller;
  /** B's admin (a user signed in) and B's admin API key, named for messages. */
  intruders: { name: string; caller: Caller }[];
  /** Ids both workspaces rightly show: the platform admin's, who made them. */
  shared: string[];
}

async function postJson(client: ConformanceClient, path: string, body: unknown, headers: Record<string, string>) {
  const response = await client.send({ method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, value: parseJson(response.text).value as JsonObject | undefined, text: response.text };
}

/** A new workspace `id` with an msp_admin of its own, signed in; throws with the server's answer on any refusal. */
async function workspaceWithAdmin(client: ConformanceClient, platform: Record<string, string>, id: string): Promise<Record<string, string>> {
  const workspace = await postJson(client, '/api/v1/tenants', { tenant_id: id, name: `Sweep ${id}` }, platform);
  if (workspace.status !== 201) throw new Error(`creating workspace ${id} answered ${workspace.status}: ${workspace.text}`);
  const member = { email: `${id}-admin@example.com`, password: `sweep-${randomUUID()}` };
  const user = await postJson(client, '/api/v1/users', { ...member, memberships: [{ tenantId: id, role: 'msp_admin' }] }, platform);
  if (user.status !== 201) throw new Error(`creating the admin of ${id} answered ${user.status}: ${user.text}`);
  const login = await postJson(client, '/api/v1/auth/login', member, {});
  if (login.status !== 200 || typeof login.value?.token !== 'string') throw new Error(`signing in the admin of ${id} answered ${login.status}: ${login.text}`);
  return { authorization: `Bearer ${login.value.token}`, 'x-workspace-id': id };
}

export async function sweepPrincipals(client: ConformanceClient, platform: Record<string, string>): Promise<SweepPrincipals> {
  const suffix = randomBytes(4).toString('hex');
  const workspaceA = `sweep-a-${suffix}`;
  const workspaceB = `sweep-b-${suffix}`;
  const adminA = await workspaceWithAdmin(client, platform, workspaceA);
  const adminB = await workspaceWithAdmin(client, platform, workspaceB);
  const key = await postJson(
    client,
    '/api/v1/apikeys',
    { name: 'sweep', scope: 'admin', rate_limit_rps: 100_000 },
    { ...adminB, 'idempotency-key': randomUUID() },
  );
  if (key.status !== 201 || typeof key.value?.api_key !== 'string') throw new Error(`creating B's API key answered ${key.status}: ${key.text}`);
  const me = await client.send({ method: 'GET', path: '/api/v1/auth/me', headers: platform });
  const platformAdmin = (parseJson(me.text).value as JsonObject | undefined)?.id;
  return {
    shared: typeof platformAdmin === 'string' ? [platformAdmin] : [],
    workspaceA,
    workspaceB,
    adminA: { headers: adminA, fallback: { headers: { ...platform, 'x-workspace-id': workspaceA } } },
    intruders: [
      { name: `admin of ${workspaceB}`, caller: { headers: adminB } },
      { name: `API key of ${workspaceB}`, caller: { headers: { 'x-api-key': key.value.api_key, 'x-workspace-id': workspaceB } } },
    ],
  };
}
