import { type DatabaseService, likePattern, listEnvelope, type OperationRequest, parseListQuery } from '../../../core/plugin-api/index.ts';
import type { EndpointRow } from './endpoint-rows.ts';
import type { EndpointStatus } from './endpoint-state.ts';
import { uptimeInWindows } from './endpoint-uptime.ts';
import { checkStats, flipsSince } from './endpoints.handlers.ts';

export const sparklineRanges = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000, '30d': 2_592_000_000 } as const;

const round1 = (value: number) => Math.round(value * 10) / 10;

/** GET /api/v1/dashboard/sparklines: response time and uptime per bucket for one page of endpoints. */
export function sparklineHandlers(deps: { database: DatabaseService; clock: () => Date }) {
  const { database } = deps;
  return {
    async getDashboardSparklines(
      req: OperationRequest<
        unknown,
        Record<string, string>,
        Record<string, unknown> & { range?: keyof typeof sparklineRanges; buckets?: number; status?: EndpointStatus }
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
      return { ...listEnvelope(data, Number(count.count), list, filters), from: from.toISOString(), to: now.toISOString(), bucketSeconds: bucketMs / 1000 };
    },
  };
}
