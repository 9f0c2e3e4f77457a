import type { Kernel } from '../kernel/kernel.ts';
import { call, startTestKernel, type TestKernelOptions } from './test-kernel.ts';

export const adminEmail = 'admin@itops.test';
export const adminPassword = 'correct horse battery staple';
export const jwtSecret = 'test-secret-that-is-at-least-32-characters-long';
export const memberPassword = 'member password 123';

export interface Actor {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
  headers: Record<string, string>;
}

export async function login(kernel: Kernel, email: string, password: string): Promise<Actor> {
  const response = await call(kernel, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (response.status !== 200) throw new Error(`login of ${email} failed: ${response.status} ${response.text}`);
  const { token, refreshToken, user } = response.json;
  return { id: user.id, email, token, refreshToken, headers: { authorization: `Bearer ${token}` } };
}

/**
 * A kernel with the real identity layer and two workspaces: acme (an msp_admin, an ops engineer and
 * a viewer) and globex (an msp_admin), all created through the API as an operator would.
 */
export async function startWorld(t: { teardown(fn: () => unknown): void }, options: TestKernelOptions = {}) {
  const kernel = await startTestKernel(t, {
    ...options,
    env: { ITOPS_ADMIN_EMAIL: adminEmail, ITOPS_ADMIN_PASSWORD: adminPassword, ITOPS_JWT_SECRET: jwtSecret, ...options.env },
  });
  const admin = await login(kernel, adminEmail, adminPassword);
  for (const [tenant_id, name] of [
    ['acme', 'Acme Corporation'],
    ['globex', 'Globex'],
  ]) {
    const created = await call(kernel, 'POST', '/api/v1/tenants', { headers: admin.headers, body: { tenant_id, name, plan: 'pro' } });
    if (created.status !== 201) throw new Error(`tenant ${tenant_id}: ${created.status} ${created.text}`);
  }
  const people: Record<string, [string, string]> = {
    acmeAdmin: ['alice@acme.test', 'msp_admin'],
    acmeOps: ['olivia@acme.test', 'ops_engineer'],
    acmeViewer: ['victor@acme.test', 'viewer'],
    globexAdmin: ['gina@globex.test', 'msp_admin'],
  };
  const actors: Record<string, Actor> = {};
  for (const [key, [email, role]] of Object.entries(people)) {
    const tenantId = key.startsWith('acme') ? 'acme' : 'globex';
    const created = await call(kernel, 'POST', '/api/v1/users', {
      headers: admin.headers,
      body: { email, password: memberPassword, memberships: [{ tenantId, role }] },
    });
    if (created.status !== 201) throw new Error(`user ${email}: ${created.status} ${created.text}`);
    actors[key] = await login(kernel, email, memberPassword);
  }
  return { kernel, admin, acmeAdmin: actors.acmeAdmin, acmeOps: actors.acmeOps, acmeViewer: actors.acmeViewer, globexAdmin: actors.globexAdmin };
}
