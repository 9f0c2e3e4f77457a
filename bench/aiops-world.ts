/**
 * Shared set-up of the aiops benches: a bench kernel with the aiops plugin, one workspace, an
 * ops engineer's and an integration admin's token (no API-key rate limit in the way), made through the API as an operator would.
 */
import type { Kernel } from '../core/kernel/kernel.ts';
import { createAiopsPlugin } from '../plugins/aiops/plugin.ts';
import { startBenchKernel } from './bench-kit.ts';

export async function aiopsBenchWorld(
  env: Record<string, string> = {},
): Promise<{ kernel: Kernel; url: string; headers: Record<string, string>; integrationHeaders: Record<string, string> }> {
  const email = 'admin@bench.test';
  const password = 'bench admin password 1';
  const kernel = await startBenchKernel([createAiopsPlugin()], {
    ITOPS_ADMIN_EMAIL: email,
    ITOPS_ADMIN_PASSWORD: password,
    ITOPS_AIOPS_ALERTMANAGER_PORT: '0',
    ...env,
  });
  const { port } = kernel.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const json = (await r.json()) as Record<string, any>;
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const admin = await post('/api/v1/auth/login', { email, password });
  const auth = { authorization: `Bearer ${admin.token}` };
  await post('/api/v1/tenants', { tenant_id: 'bench', name: 'Bench', plan: 'pro' }, auth);
  await post('/api/v1/users', { email: 'ops@bench.test', password, memberships: [{ tenantId: 'bench', role: 'ops_engineer' }] }, auth);
  await post('/api/v1/users', { email: 'integrations@bench.test', password, memberships: [{ tenantId: 'bench', role: 'integration_admin' }] }, auth);
  const ops = await post('/api/v1/auth/login', { email: 'ops@bench.test', password });
  const integrations = await post('/api/v1/auth/login', { email: 'integrations@bench.test', password });
  return {
    kernel,
    url,
    headers: { authorization: `Bearer ${ops.token}`, 'x-workspace-id': 'bench' },
    integrationHeaders: { authorization: `Bearer ${integrations.token}`, 'x-workspace-id': 'bench' },
  };
}
