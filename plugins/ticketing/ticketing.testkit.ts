import { randomUUID } from 'node:crypto';
import { call } from '../../core/plugin-api/testing.ts';
import { startWorld } from '../../core/testing/identity-fixtures.ts';
import { createTicketingPlugin } from './plugin.ts';

/** A clock tests move by hand; SLA deadlines and sweeps read it. */
export function testClock(start: string) {
  let now = new Date(start);
  return {
    now: () => new Date(now),
    set(iso: string) {
      now = new Date(iso);
    },
  };
}

export type World = Awaited<ReturnType<typeof startTicketing>>;
type Kernel = Parameters<typeof call>[0];

/** Two workspaces with the ticketing plugin (and any others the test names), on a clock of the test's. */
export async function startTicketing(t: Parameters<typeof startWorld>[0], options: { clock?: () => Date; plugins?: unknown[] } = {}) {
  const world = await startWorld(t, { plugins: [createTicketingPlugin({ clock: options.clock }), ...(options.plugins ?? [])] });
  const kernel: Kernel = world.kernel;
  /** A change with a fresh Idempotency-Key (or the one given). */
  const write = (method: string, path: string, actor: { headers: Record<string, string> }, body?: unknown, key: string = randomUUID()) =>
    call(kernel, method, path, { headers: { ...actor.headers, 'idempotency-key': key }, body });
  const read = (path: string, actor: { headers: Record<string, string> }) => call(kernel, 'GET', path, { headers: actor.headers });
  return { ...world, kernel, write, read };
}
