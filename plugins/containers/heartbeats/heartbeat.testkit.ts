/**
 * Test helpers for the heartbeat tests: a kernel with the containers plugin on a clock the test
 * moves (deadlines are evaluated every 50 ms against it), the acme/globex world of the identity
 * fixtures, and shorthands for creating heartbeats and pinging them. Imported by *.test.ts only.
 */
import { call, servicesProbe } from '../../../core/plugin-api/testing.ts';
import { eventually } from '../../../core/testing/eventually.ts';
import { startWorld } from '../../../core/testing/identity-fixtures.ts';
import { createContainersPlugin } from '../plugin.ts';

export { eventually };

export function testClock(start = '2025-06-01T12:00:00Z') {
  let now = Date.parse(start);
  return {
    now: () => new Date(now),
    set: (iso: string) => {
      now = Date.parse(iso);
    },
    advance: (seconds: number) => {
      now += seconds * 1000;
    },
    iso: (offsetSeconds = 0) => new Date(now + offsetSeconds * 1000).toISOString(),
  };
}

export async function heartbeatWorld(t: { teardown(fn: () => unknown): void }, options: { start?: string; env?: Record<string, string> } = {}) {
  const clock = testClock(options.start);
  const probe = servicesProbe('heartbeat_probe');
  const world = await startWorld(t, { plugins: [createContainersPlugin({ clock: clock.now, deadlineIntervalMs: 50 }), probe.plugin], env: options.env });
  const { kernel, acmeOps } = world;

  const create = async (body: Record<string, unknown> = {}, headers = acmeOps.headers) => {
    const created = await call(kernel, 'POST', '/api/v1/heartbeats', {
      headers,
      body: { name: 'nightly backup', periodSeconds: 3600, graceSeconds: 300, ...body },
    });
    if (created.status !== 201) throw new Error(`heartbeat: ${created.status} ${created.text}`);
    return created.json as { id: string; uuid: string; [key: string]: any };
  };
  const get = async (id: string) => (await call(kernel, 'GET', `/api/v1/heartbeats/${id}`, { headers: acmeOps.headers })).json;
  const ping = async (path: string, init: { method?: string; body?: string | Buffer | Blob; headers?: Record<string, string> } = {}) => {
    const response = await fetch(`${kernel.url}${path}`, { method: init.method ?? 'GET', body: init.body, headers: init.headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const pings = async (id: string, query = '') => (await call(kernel, 'GET', `/api/v1/heartbeats/${id}/pings${query}`, { headers: acmeOps.headers })).json;
  const executions = async (id: string) => (await call(kernel, 'GET', `/api/v1/heartbeats/${id}/executions`, { headers: acmeOps.headers })).json;
  /** Waits until the heartbeat's status is `status` (the deadline loop runs every 50 ms). */
  const becomes = (id: string, status: string) =>
    eventually(async () => {
      const heartbeat = await get(id);
      return heartbeat.status === status ? heartbeat : undefined;
    });
  /**
   * Adds `count` heartbeats to acme in one statement and `ANALYZE`s them: the table sizes at which
   * a statement's generic plan (the one a prepared statement settles on) may read every heartbeat.
   */
  const fill = async (count: number) => {
    const first = await create({ name: 'fill' });
    await kernel.database.query(
      `INSERT INTO heartbeat (id, tenant_id, ping_uuid, name, kind, period_seconds, grace_seconds)
       SELECT gen_random_uuid(), tenant_id, gen_random_uuid(), 'fill ' || i, 'period', 60, 60
       FROM heartbeat, generate_series(1, ?::int) i WHERE id = ?`,
      [count, first.id],
    );
    await kernel.database.query('ANALYZE heartbeat');
  };
  /** The EXPLAIN of `sql`'s generic plan, every parameter NULL. */
  const genericPlan = (sql: string) => {
    let n = 0;
    const numbered = sql.replace(/\?/g, () => `$${++n}`);
    return kernel.database.platform.transaction(async ({ query }) => {
      await query('SET LOCAL plan_cache_mode = force_generic_plan');
      await query(`PREPARE generic_plan AS ${numbered}`);
      const rows = await query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE generic_plan(${Array(n).fill('NULL').join(', ')})`);
      await query('DEALLOCATE generic_plan');
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
  };
  const topics = async (prefix = 'heartbeat.') =>
    kernel.database.query<{ topic: string; payload: any }>('SELECT topic, payload FROM event_outbox WHERE topic LIKE ? ORDER BY id', [`${prefix}%`]);

  return {
    ...world,
    clock,
    create,
    get,
    ping,
    pings,
    executions,
    becomes,
    topics,
    fill,
    genericPlan,
    services: probe.services,
  };
}
