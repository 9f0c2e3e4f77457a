/**
 * Test helpers for endpoint and certificate tests: a kernel with the containers plugin on a clock
 * the test moves (due checks are looked for every 50 ms against it; loopback is opened to checks),
 * the acme/globex world of the identity fixtures, and shorthands. Imported by *.test.ts only.
 */
import { call, servicesProbe } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { login, memberPassword, startWorld } from '../../../core/testing/identity-fixtures.ts';
import { createContainersPlugin } from '../plugin.ts';

export { eventually };

export function movableClock(start: string | number) {
  let now = typeof start === 'number' ? start : Date.parse(start);
  return {
    now: () => new Date(now),
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
    iso: (offsetSeconds = 0) => new Date(now + offsetSeconds * 1000).toISOString(),
  };
}

export async function endpointWorld(
  t: { teardown(fn: () => unknown): void },
  options: { start?: string | number; privateNetworks?: string[]; env?: Record<string, string>; concurrency?: number } = {},
) {
  const clock = movableClock(options.start ?? '2026-03-10T12:00:00Z');
  const probe = servicesProbe('endpoint_probe');
  const world = await startWorld(t, {
    plugins: [
      probe.plugin,
      createContainersPlugin({
        clock: clock.now,
        deadlineIntervalMs: 60_000,
        checkTickMs: 50,
        checkConcurrency: options.concurrency,
        endpointPrivateNetworks: options.privateNetworks ?? ['127.0.0.0/8'],
        // No DNS in tests: `localhost` and *.test names are this machine, nothing else resolves.
        resolveHost: async (host) => {
          if (host === 'localhost' || host.endsWith('.test')) return ['127.0.0.1'];
          throw new Error(`getaddrinfo ENOTFOUND ${host}`);
        },
      }),
    ],
    env: options.env,
  });
  const { kernel, acmeOps } = world;

  const create = async (body: Record<string, unknown>, headers = acmeOps.headers) => {
    const created = await call(kernel, 'POST', '/api/v1/endpoints', { headers, body: { name: 'shop', intervalSeconds: 60, ...body } });
    if (created.status !== 201) throw new Error(`endpoint: ${created.status} ${created.text}`);
    return created.json as { id: string; [key: string]: any };
  };
  const get = async (id: string, headers = acmeOps.headers) => (await call(kernel, 'GET', `/api/v1/endpoints/${id}`, { headers })).json;
  const checks = async (id: string, query = '') => (await call(kernel, 'GET', `/api/v1/endpoints/${id}/checks${query}`, { headers: acmeOps.headers })).json;
  /** Waits until the endpoint has `count` recorded checks; returns the endpoint. */
  const checkedTimes = async (id: string, count: number) => {
    const done = await eventually(async () => ((await checks(id)).page.total >= count ? true : undefined));
    if (!done) throw new Error(`endpoint ${id} was not checked ${count} times`);
    return get(id);
  };
  const topics = async (prefix: string) =>
    kernel.database.query<{ topic: string; payload: any; tenant_id: string }>(
      'SELECT topic, payload, tenant_id FROM event_outbox WHERE topic LIKE ? ORDER BY id',
      [`${prefix}%`],
    );
  /** A member of acme whose role (billing) has no endpoint or certificate permission. */
  const billing = async () => {
    const email = 'bill@acme.test';
    const created = await call(kernel, 'POST', '/api/v1/users', {
      headers: world.admin.headers,
      body: { email, password: memberPassword, memberships: [{ tenantId: 'acme', role: 'billing' }] },
    });
    if (created.status !== 201) throw new Error(`user: ${created.status} ${created.text}`);
    return login(kernel, email, memberPassword);
  };
  const activeAlerts = async () => (await call(kernel, 'GET', '/api/v1/alerts/active', { headers: acmeOps.headers })).json.data as any[];

  return { ...world, clock, create, get, checks, checkedTimes, topics, activeAlerts, billing, services: probe.services };
}
