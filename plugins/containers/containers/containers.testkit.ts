/**
 * Test helpers for container tests: a kernel with the containers and SLA plugins, watching a local
 * Docker engine (unix socket) for the acme workspace in short rounds, on a clock the test moves.
 * Imported by *.test.ts only.
 */
import { call } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import slaPlugin from '../../sla/plugin.ts';
import { movableClock } from '../endpoints/endpoint.testkit.ts';
import { createContainersPlugin } from '../plugin.ts';
import { DockerAdapter } from '../runtime/docker-adapter.ts';
import type { RuntimeAdapter } from '../runtime/runtime-adapter.ts';
import { startDockerEngine } from '../runtime/docker-engine.testkit.ts';

export { eventually };

export async function containerWorld(
  t: { teardown(fn: () => unknown): void },
  options: { env?: Record<string, string>; resourceIntervalMs?: number; adapter?: RuntimeAdapter } = {},
) {
  const engine = await startDockerEngine(t);
  const clock = movableClock('2026-03-10T12:00:00Z');
  const world = await startWorld(t, {
    plugins: [
      slaPlugin,
      createContainersPlugin({
        clock: clock.now,
        deadlineIntervalMs: 60_000,
        checkTickMs: 60_000,
        runtime: { adapter: options.adapter ?? new DockerAdapter({ host: engine.host, callDeadlineMs: 2000 }), tenantId: 'acme', endpoint: engine.host },
        watchTickMs: 50,
        watchRound: { roundMs: 400, batchDelayMs: 5 },
        // Resource rounds only where a test asks for them.
        resourceIntervalMs: options.resourceIntervalMs ?? 3_600_000,
      }),
    ],
    env: options.env,
  });
  const { kernel, acmeOps } = world;
  const get = async (path: string, headers = acmeOps.headers) => call(kernel, 'GET', path, { headers });
  /** Waits until the list (with removed ones) satisfies `check`; returns it. */
  const listed = async (check: (containers: any[]) => boolean, query = '?includeRemoved=true&limit=1000') => {
    const found = await eventually(async () => {
      const list = await get(`/api/v1/containers${query}`);
      return list.status === 200 && check(list.json.data) ? list.json : undefined;
    });
    if (!found) throw new Error(`containers never matched: ${(await get(`/api/v1/containers${query}`)).text}`);
    return found;
  };
  const byName = async (name: string) => (await listed((cs) => cs.some((c) => c.name === name))).data.find((c: any) => c.name === name);
  const transitions = async (id: string, count: number) => {
    const found = await eventually(async () => {
      const page = await get(`/api/v1/containers/${id}/transitions?limit=100`);
      return page.json.page?.total >= count ? page.json : undefined;
    });
    if (!found) throw new Error(`container ${id} never had ${count} transitions: ${(await get(`/api/v1/containers/${id}/transitions`)).text}`);
    return found;
  };
  return { ...world, engine, clock, get, listed, byName, transitions };
}
