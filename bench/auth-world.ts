/**
 * The world of `bench:auth` (and of the request-path profile): a plugin serving one answer as a
 * public and as a permission-checked route, a workspace, a viewer, and an API key of its owner.
 */
import { definePlugin } from '../core/plugin-api/index.ts';
import type { Kernel } from '../core/kernel/kernel.ts';
import { jsonPoster, startBenchKernel } from './bench-kit.ts';

const publicGet = (operationId: string, extra: Record<string, unknown>) => ({
  get: {
    operationId,
    ...extra,
    responses: {
      '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } },
      '401': { description: 'no credentials' },
      '403': { description: 'no permission' },
    },
  },
});

export const readsPlugin = definePlugin({
  id: 'reads',
  version: '1.0.0',
  host: '*',
  openapi: {
    paths: {
      '/api/v1/reads/public': publicGet('readPublic', { 'x-public': true, security: [] }),
      '/api/v1/reads/private': publicGet('readPrivate', { 'x-permission': 'reads:read' }),
    },
  },
  permissions: [{ name: 'reads:read', description: 'Read the benchmark resource' }],
  policies: [{ role: 'viewer', permission: 'reads:read' }],
  init(ctx) {
    const answer = () => ({ items: [{ id: 1, name: 'one' }], total: 1 });
    ctx.handle('readPublic', answer);
    ctx.handle('readPrivate', answer);
  },
});

/** Boots the kernel with the reads plugin and signs in: the viewer's JWT and an API key (read scope, 100 000 requests/s). */
export async function startAuthWorld(): Promise<{ kernel: Kernel; viewerToken: string; apiKey: string }> {
  const kernel = await startBenchKernel([readsPlugin], { ITOPS_ADMIN_EMAIL: 'bench@itops.test', ITOPS_ADMIN_PASSWORD: 'bench admin password' });
  try {
    const post = jsonPoster(kernel.url);
    const admin = await post('/api/v1/auth/login', { email: 'bench@itops.test', password: 'bench admin password' });
    await post('/api/v1/tenants', { tenant_id: 'bench', name: 'Bench' }, { authorization: `Bearer ${admin.token}` });
    await post(
      '/api/v1/users',
      { email: 'viewer@bench.test', password: 'viewer password 1', memberships: [{ tenantId: 'bench', role: 'viewer' }] },
      { authorization: `Bearer ${admin.token}` },
    );
    await post(
      '/api/v1/users',
      { email: 'owner@bench.test', password: 'owner password 12', memberships: [{ tenantId: 'bench', role: 'msp_admin' }] },
      { authorization: `Bearer ${admin.token}` },
    );
    const viewer = await post('/api/v1/auth/login', { email: 'viewer@bench.test', password: 'viewer password 1' });
    const owner = await post('/api/v1/auth/login', { email: 'owner@bench.test', password: 'owner password 12' });
    const key = await post('/api/v1/apikeys', { name: 'bench', scope: 'read', rate_limit_rps: 100000 }, { authorization: `Bearer ${owner.token}` });
    return { kernel, viewerToken: viewer.token, apiKey: key.api_key };
  } catch (error) {
    await kernel.stop();
    throw error;
  }
}
