import { randomUUID } from 'node:crypto';
import { call } from '../../core/plugin-api/testing.ts';
import { login, memberPassword, startWorld } from '../../core/testing/identity-fixtures.ts';
import { createAutomationPlugin } from './plugin.ts';

type Kernel = Parameters<typeof call>[0];

/** Two workspaces with the automation plugin, plus an automation operator in acme. */
export async function startAutomation(t: Parameters<typeof startWorld>[0], options: { env?: Record<string, string>; plugins?: unknown[] } = {}) {
  const world = await startWorld(t, { plugins: [createAutomationPlugin(), ...(options.plugins ?? [])], env: options.env });
  const kernel: Kernel = world.kernel;
  const created = await call(kernel, 'POST', '/api/v1/users', {
    headers: world.admin.headers,
    body: { email: 'otto@acme.test', password: memberPassword, memberships: [{ tenantId: 'acme', role: 'automation_operator' }] },
  });
  if (created.status !== 201) throw new Error(`automation operator: ${created.status} ${created.text}`);
  const acmeOperator = await login(kernel, 'otto@acme.test', memberPassword);
  /** A change with a fresh Idempotency-Key. */
  const write = (method: string, path: string, actor: { headers: Record<string, string> }, body?: unknown) =>
    call(kernel, method, path, { headers: { ...actor.headers, 'idempotency-key': randomUUID() }, body });
  const read = (path: string, actor: { headers: Record<string, string> }) => call(kernel, 'GET', path, { headers: actor.headers });
  return { ...world, kernel, acmeOperator, write, read };
}
