import { AppError, type DatabaseService, likePattern, listEnvelope, type OperationRequest, parseListQuery } from '../../../core/plugin-api/index.ts';
import { containerSparklines } from '../containers/container-sparklines.ts';
import type { EndpointRow } from './endpoint-rows.ts';
import type { EndpointStatus } from './endpoint-state.ts';
import { uptimeInWindows } from './endpoint-uptime.ts';
import { checkStats, flipsSince } from './endpoints.handlers.ts';

export const sparklineRanges = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000, '30d': 2_592_000_000 } as const;

const round1 = (value: number) => Math.round(value * 10) / 10;

/** GET /api/v1/dashboard/sparklines: response time and uptime per bucket for one page of endpoints (or of containers). */
export function sparklineHandlers(deps: { database: DatabaseService; clock: () => Date }) {
  const { database } = deps;
  return {
    async getDashboardSparklines(
      req: OperationRequest<
        unknown,
        Record<string, string>,
        Record<string, unknown> & { range?: keyof typeof sparklineRanges; buckets?: number; status?: EndpointStatus; kind?: 'endpoints' | 'containers' }
      >,
    ) {
      const list = parseListQuery<'name'>(req.query, { sortable: { name: 'lower(name)' }, defaultSort: 'name' });
      const range = req.query.range ?? '24h';
      const buckets = req.query.buckets ?? 24;
      const now = deps.clock();
      const spanMs = sparklineRanges[range];
      const from = new Date(now.getTime() - spanMs);
      const bucketMs = spanMs / buckets;
      const windows = Array.from({ length: buckets }, (_, i) => ({
        from: new Date(from.getTime() + Math.round(i * bucketMs)),
        // The last bucket includes now (a check made this very millisecond counts).
        to: i === buckets - 1 ? new Date(now.getTime() + 1) : new Date(from.getTime() + Math.round((i + 1) * bucketMs)),
      }));

      const db = database.forTenant(req.tenantId as string);
      const envelope = (data: unknown[], total: number, filters: Record<string, unknown>) => ({
        ...listEnvelope(data, total, list, filters),
        from: from.toISOString(),
        to: now.toISOString(),
        bucketSeconds: bucketMs / 1000,
      });
      if (req.query.kind === 'containers') {
        if (req.query.status)
          throw new AppError('validation_failed', 'status filters endpoints, not containers', {
            details: [{ path: '/query/status', message: 'not with kind=containers' }],
          });
        const where = ["state <> 'removed'", ...(list.q ? ["(name ILIKE ? ESCAPE '\\' OR image ILIKE ? ESCAPE '\\')"] : [])];
        const params = list.q ? [likePattern(list.q), likePattern(list.q)] : [];
        const [containers, [count]] = await Promise.all([
          db.query<{ id: string; name: string; state: string; first_seen_at: Date }>(
            `SELECT id, name, state, first_seen_at FROM container WHERE ${where.join(' AND ')} ORDER BY ${list.orderBy}, id LIMIT ? OFFSET ?`,
            [...params, list.limit, list.offset],
          ),
          db.query<{ count: string }>(`SELECT count(*) AS count FROM container WHERE ${where.join(' AND ')}`, params),
        ]);
        const data = await containerSparklines(db.query, containers, { from, now, windows });
        return envelope(data, Number(count.count), { range, buckets, kind: 'containers' });
      }
      const where = ['TRUE'];
      const params: unknown[] = [];
      const filters: Record<string, unknown> = { range, buckets };
      if (req.query.status) {
        where.push('status = ?');
        params.push(req.query.status);
        filters.status = req.query.status;
      }
      if (list.q) {
        where.push(`(name ILIKE ? ESCAPE '\\' OR url ILIKE ? ESCAPE '\\')`);
        params.push(likePattern(list.q), likePattern(list.q));
      }
      const [endpoints, [count]] = await Promise.all([
        db.query<Pick<EndpointRow, 'id' | 'name' | 'scheme' | 'status' | 'created_at'>>(
          `SELECT id, name, scheme, status, created_at FROM endpoint WHERE ${where.join(' AND ')} ORDER BY ${list.orderBy}, id LIMIT ? OFFSET ?`,
          [...params, list.limit, list.offset],
        ),
        db.query<{ count: string }>(`SELECT count(*) AS count FROM endpoint WHERE ${where.join(' AND ')}`, params),
      ]);
      const ids = endpoints.map((e) => e.id);
      const [history, stats] = ids.length > 0 ? await Promise.all([flipsSince(db.query, ids, from), checkStats(db.query, ids, windows)]) : [null, null];

      const data = endpoints.map((endpoint) => {
        const createdAt = new Date(endpoint.created_at);
        const past = history ? history(endpoint.id, endpoint.status) : { flips: [], statusBefore: endpoint.status };
        const uptime = uptimeInWindows({ ...past, createdAt, now, windows });
        const [overall] = uptimeInWindows({ ...past, createdAt, now, windows: [{ from, to: now }] });
        let okMs = 0;
        let okCount = 0;
        const points = windows.map((w, i) => {
          const s = stats?.get(`${endpoint.id}:${i}`);
          okMs += s?.okMs ?? 0;
          okCount += s?.okCount ?? 0;
          return {
            at: w.from.toISOString(),
            responseTimeMs: s && s.okCount > 0 ? round1(s.okMs / s.okCount) : null,
            uptimePercent: uptime[i].uptimePercent,
            checks: s?.checks ?? 0,
            failedChecks: s?.failed ?? 0,
          };
        });
        return {
          endpointId: endpoint.id,
          name: endpoint.name,
          type: endpoint.scheme,
          status: endpoint.status,
          uptimePercent: overall.uptimePercent,
          avgResponseTimeMs: okCount > 0 ? round1(okMs / okCount) : null,
          points,
        };
      });
      return envelope(data, Number(count.count), filters);
    },
  };
}
