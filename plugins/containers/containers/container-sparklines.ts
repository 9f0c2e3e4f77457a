import type { SqlQuery } from '../../../core/plugin-api/index.ts';
import { checkStats } from '../endpoints/endpoints.handlers.ts';
import { uptimeIn } from './container-reads.ts';

const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * Sparklines of a page of containers (the dashboard's `kind=containers`): per bucket, the running
 * time over observed time from the state transitions, and the response time and check counts of
 * the endpoints the container's labels declare, summed over them.
 */
export async function containerSparklines(
  sql: SqlQuery,
  containers: { id: string; name: string; state: string; first_seen_at: Date }[],
  range: { from: Date; now: Date; windows: { from: Date; to: Date }[] },
) {
  const ids = containers.map((c) => c.id);
  if (ids.length === 0) return [];
  const [transitions, before, endpoints] = await Promise.all([
    sql<{ container_id: string; at: Date; to_value: string }>(
      "SELECT container_id, at, to_value FROM container_transition WHERE container_id = ANY(?::uuid[]) AND kind = 'state' AND at >= ? ORDER BY at, id",
      [ids, range.from.toISOString()],
    ),
    sql<{ container_id: string; to_value: string }>(
      `SELECT DISTINCT ON (container_id) container_id, to_value FROM container_transition
       WHERE container_id = ANY(?::uuid[]) AND kind = 'state' AND at < ? ORDER BY container_id, at DESC, id DESC`,
      [ids, range.from.toISOString()],
    ),
    sql<{ id: string; container_id: string }>('SELECT id, container_id FROM endpoint WHERE container_id = ANY(?::text[])', [ids]),
  ]);
  const stats = await checkStats(
    sql,
    endpoints.map((e) => e.id),
    range.windows,
  );
  const byContainer = new Map<string, { at: Date; to: string }[]>();
  for (const t of transitions) {
    const list = byContainer.get(t.container_id);
    const entry = { at: new Date(t.at), to: t.to_value };
    if (list) list.push(entry);
    else byContainer.set(t.container_id, [entry]);
  }
  const stateBefore = new Map(before.map((b) => [b.container_id, b.to_value]));
  return containers.map((c) => {
    const list = byContainer.get(c.id) ?? [];
    const firstSeen = new Date(c.first_seen_at);
    const uptime = (from: Date, to: Date) => uptimeIn(list, stateBefore.get(c.id) ?? null, firstSeen, from, to).percent;
    const own = endpoints.filter((e) => e.container_id === c.id);
    let okMs = 0;
    let okCount = 0;
    const points = range.windows.map((w, i) => {
      const bucket = { checks: 0, failed: 0, okMs: 0, okCount: 0 };
      for (const e of own) {
        const s = stats.get(`${e.id}:${i}`);
        if (!s) continue;
        bucket.checks += s.checks;
        bucket.failed += s.failed;
        bucket.okMs += s.okMs;
        bucket.okCount += s.okCount;
      }
      okMs += bucket.okMs;
      okCount += bucket.okCount;
      return {
        at: w.from.toISOString(),
        responseTimeMs: bucket.okCount > 0 ? round1(bucket.okMs / bucket.okCount) : null,
        uptimePercent: uptime(w.from, w.to),
        checks: bucket.checks,
        failedChecks: bucket.failed,
      };
    });
    return {
      containerId: c.id,
      name: c.name,
      state: c.state,
      uptimePercent: uptime(range.from, range.now),
      avgResponseTimeMs: okCount > 0 ? round1(okMs / okCount) : null,
      points,
    };
  });
}
