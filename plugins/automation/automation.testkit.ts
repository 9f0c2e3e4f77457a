import { randomUUID } from 'node:crypto';
import { call } from '../../core/plugin-api/testing.ts';
import { login, memberPassword, startWorld } from '../../core/testing/identity-fixtures.ts';
import { createAutomationPlugin } from './plugin.ts';

type Kernel = Parameters<typeof call>[0];

/** Two workspaces with the automation plugin, plus an automation operator and a billing clerk in acme. */
export async function startAutomation(t: Parameters<typeof startWorld>[0], options: { env?: Record<string, string>; plugins?: unknown[] } = {}) {
  const world = await startWorld(t, { plugins: [createAutomationPlugin(), ...(options.plugins ?? [])], env: options.env });
  const kernel: Kernel = world.kernel;
  const member = async (email: string, role: string) => {
    const created = await call(kernel, 'POST', '/api/v1/users', {
      headers: world.admin.headers,
      body: { email, password: memberPassword, memberships: [{ tenantId: 'acme', role }] },
    });
    if (created.status !== 201) throw new Error(`${role}: ${created.status} ${created.text}`);
    return login(kernel, email, memberPassword);
  };
  const acmeOperator = await member('otto@acme.test', 'automation_operator');
  /** A role with none of the plugin's permissions. */
  const acmeBilling = await member('bill@acme.test', 'billing');
  /** A change with a fresh Idempotency-Key. */
  const write = (method: string, path: string, actor: { headers: Record<string, string> }, body?: unknown) =>
    call(kernel, method, path, { headers: { ...actor.headers, 'idempotency-key': randomUUID() }, body });
  const read = (path: string, actor: { headers: Record<string, string> }) => call(kernel, 'GET', path, { headers: actor.headers });
  return { ...world, kernel, acmeOperator, acmeBilling, write, read };
}
