import { AppError, type AlertsService, type DatabaseService, type OperationRequest, type Tx } from '../../../core/plugin-api/index.ts';
import type { CheckAddressPolicy } from './endpoint-address-policy.ts';
import {
  type EndpointCheckQuery,
  type EndpointListQuery,
  endpointReads,
  endpointWithCertificate,
  type EndpointWithCertificate,
  viewWithCertificate,
} from './endpoint-reads.ts';
import { type EndpointInput, type EndpointRow, endpointColumns, invalid } from './endpoint-rows.ts';
import { type AlertToResolve, endpointAlertFingerprint, insertEndpoint, type Sql, syncDerivedCertificates, updateEndpointRow } from './endpoint-store.ts';
import { uptimeInWindows } from './endpoint-uptime.ts';
import { addDays, isTimeZone, zonedDate, zonedMidnight } from '../heartbeats/heartbeat-schedule.ts';

export interface EndpointHandlerDeps {
  database: DatabaseService;
  alerts: AlertsService;
  clock: () => Date;
  policy: CheckAddressPolicy;
  /** Called after a monitor became due (the check loop runs sooner). */
  onDue: () => void;
}

export { endpointWithCertificate, type EndpointWithCertificate, viewWithCertificate };

/** Resolves the alerts of rows that are gone, in the transaction that removes them. */
export async function resolveAll(tx: Tx, alerts: AlertsService, list: AlertToResolve[]): Promise<void> {
  await alerts.resolveMany(tx, list);
}

/** Per-calendar-day windows of the last `days` days in `timeZone`, the last one ending at its midnight. */
export function dayWindows(now: Date, days: number, timeZone: string) {
  const first = addDays(zonedDate(now, timeZone), -(days - 1));
  return Array.from({ length: days }, (_, i) => {
    const date = addDays(first, i);
    return { date, from: zonedMidnight(date, timeZone), to: zonedMidnight(addDays(date, 1), timeZone) };
  });
}

/** Check counts and mean response time per window (`width_bucket` over the windows' bounds) for some endpoints. */
export async function checkStats(sql: Sql, endpointIds: string[], windows: { from: Date; to: Date }[]) {
  if (endpointIds.length === 0 || windows.length === 0) return new Map<string, { checks: number; failed: number; okMs: number; okCount: number }>();
  const bounds = [...windows.map((w) => w.from), windows[windows.length - 1].to].map((d) => d.toISOString());
  const rows = await sql<{ endpoint_id: string; bucket: number; checks: string; failed: string; ok_ms: string | null; ok_count: string }>(
    `SELECT endpoint_id, width_bucket(checked_at, ?::timestamptz[]) AS bucket, count(*) AS checks, count(*) FILTER (WHERE NOT ok) AS failed,
       sum(response_ms) FILTER (WHERE ok AND response_ms IS NOT NULL) AS ok_ms, count(*) FILTER (WHERE ok AND response_ms IS NOT NULL) AS ok_count
     FROM endpoint_check WHERE endpoint_id = ANY(string_to_array(?, ',')::uuid[]) AND checked_at >= ? AND checked_at < ?
     GROUP BY 1, 2`,
    [`{${bounds.join(',')}}`, endpointIds.join(','), bounds[0], bounds[bounds.length - 1]],
  );
  const stats = new Map<string, { checks: number; failed: number; okMs: number; okCount: number }>();
  for (const r of rows) {
    stats.set(`${r.endpoint_id}:${r.bucket - 1}`, {
      checks: Number(r.checks),
      failed: Number(r.failed),
      okMs: Number(r.ok_ms ?? 0),
      okCount: Number(r.ok_count),
    });
  }
  return stats;
}

/** Status changes of some endpoints from `since` on, and the status each had just before. */
export async function flipsSince(sql: Sql, endpointIds: string[], since: Date) {
  const ids = endpointIds.join(',');
  const flips = await sql<{ endpoint_id: string; at: Date; from_status: string; to_status: string }>(
    `SELECT endpoint_id, at, from_status, to_status FROM endpoint_flip WHERE endpoint_id = ANY(string_to_array(?, ',')::uuid[]) AND at >= ? ORDER BY at, id`,
    [ids, since.toISOString()],
  );
  const before = await sql<{ endpoint_id: string; to_status: string }>(
    `SELECT DISTINCT ON (endpoint_id) endpoint_id, to_status FROM endpoint_flip
     WHERE endpoint_id = ANY(string_to_array(?, ',')::uuid[]) AND at < ? ORDER BY endpoint_id, at DESC, id DESC`,
    [ids, since.toISOString()],
  );
  const byEndpoint = new Map<string, { flips: { at: Date; to: string }[]; firstFrom?: string; before?: string }>();
  const entry = (id: string) => {
    let e = byEndpoint.get(id);
    if (!e) {
      e = { flips: [] };
      byEndpoint.set(id, e);
    }
    return e;
  };
  for (const f of flips) {
    const e = entry(f.endpoint_id);
    e.firstFrom ??= f.from_status;
    e.flips.push({ at: new Date(f.at), to: f.to_status });
  }
  for (const b of before) entry(b.endpoint_id).before = b.to_status;
  /** The flips of an endpoint and the status it had before them (`current` when it never changed). */
  return (id: string, current: string) => {
    const e = byEndpoint.get(id);
    return { flips: e?.flips ?? [], statusBefore: e?.before ?? e?.firstFrom ?? current };
  };
}

/** Endpoint CRUD, check history and daily uptime (tenant-scoped raw SQL). */
export function endpointHandlers(deps: EndpointHandlerDeps) {
  const { database, clock } = deps;
  const reads = endpointReads({ database });

  const owned = async (sql: Sql, id: string, lock = false) => {
    const [row] = await sql<EndpointRow>(`SELECT * FROM endpoint WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (!row) throw new AppError('not_found', `Endpoint ${id} was not found`);
    return row;
  };
  const withCertificate = async (sql: Sql, id: string) => {
    const [row] = await sql<EndpointWithCertificate>(`SELECT ${endpointWithCertificate} FROM endpoint e WHERE e.id = ?`, [id]);
    return viewWithCertificate(row);
  };
  const managedByLabels = (row: EndpointRow) => {
    if (row.source === 'labels') {
      throw new AppError('conflict', `Endpoint ${row.id} is declared by the labels of container ${row.container_id}; change the labels instead`);
    }
  };

  return {
    listEndpoints(req: OperationRequest<unknown, Record<string, string>, EndpointListQuery>) {
      return reads.list(req.tenantId as string, req.query);
    },

    async createEndpoint(req: OperationRequest<EndpointInput>) {
      const tenantId = req.tenantId as string;
      const columns = endpointColumns(undefined, req.body, deps.policy, tenantId);
      const view = await database.forTenant(tenantId).transaction(async ({ query }) => {
        const row = await insertEndpoint(query, tenantId, columns, { source: 'api' }, clock());
        await syncDerivedCertificates(query, tenantId, clock());
        return withCertificate(query, row.id);
      });
      deps.onDue();
      return { status: 201, body: view };
    },

    getEndpoint(req: OperationRequest<unknown, { id: string }>) {
      return reads.get(req.tenantId as string, req.params.id);
    },

    async updateEndpoint(req: OperationRequest<EndpointInput, { id: string }>) {
      const tenantId = req.tenantId as string;
      const view = await database.forTenant(tenantId).transaction(async (tx) => {
        const { query } = tx;
        const current = await owned(query, req.params.id, true);
        managedByLabels(current);
        const { row, resolve } = await updateEndpointRow(query, current, endpointColumns(current, req.body, deps.policy, tenantId), clock());
        await resolveAll(tx, deps.alerts, [...resolve, ...(await syncDerivedCertificates(query, tenantId, clock()))]);
        return withCertificate(query, row.id);
      });
      deps.onDue();
      return view;
    },

    async deleteEndpoint(req: OperationRequest<unknown, { id: string }>) {
      const tenantId = req.tenantId as string;
      await database.forTenant(tenantId).transaction(async (tx) => {
        const { query } = tx;
        const current = await owned(query, req.params.id, true);
        managedByLabels(current);
        await query('DELETE FROM endpoint WHERE id = ?', [current.id]);
        const certificates = await syncDerivedCertificates(query, tenantId, clock());
        await resolveAll(
          tx,
          deps.alerts,
          current.status === 'down' ? [{ tenantId, fingerprint: endpointAlertFingerprint(current.id) }, ...certificates] : certificates,
        );
      });
      return { status: 204 };
    },

    async listEndpointChecks(req: OperationRequest<unknown, { id: string }, EndpointCheckQuery>) {
      const tenantId = req.tenantId as string;
      return reads.checks(tenantId, await owned(database.forTenant(tenantId).query, req.params.id), req.query);
    },

    async listEndpointFlips(req: OperationRequest<unknown, { id: string }, Record<string, unknown> & { to?: string }>) {
      const tenantId = req.tenantId as string;
      return reads.flips(tenantId, await owned(database.forTenant(tenantId).query, req.params.id), req.query);
    },

    async getEndpointDailyUptime(req: OperationRequest<unknown, { id: string }, { days?: number; timezone?: string }>) {
      const db = database.forTenant(req.tenantId as string);
      const endpoint = await owned(db.query, req.params.id);
      const timeZone = req.query.timezone ?? 'UTC';
      if (!isTimeZone(timeZone)) invalid([{ path: '/query/timezone', message: 'must be an IANA time zone name, e.g. Europe/Berlin' }]);
      const now = clock();
      const windows = dayWindows(now, req.query.days ?? 30, timeZone);
      const history = (await flipsSince(db.query, [endpoint.id], windows[0].from))(endpoint.id, endpoint.status);
      const uptime = uptimeInWindows({ ...history, createdAt: new Date(endpoint.created_at), now, windows });
      const stats = await checkStats(db.query, [endpoint.id], windows);
      const data = windows.map((w, i) => {
        const s = stats.get(`${endpoint.id}:${i}`);
        return {
          date: w.date,
          uptimePercent: uptime[i].uptimePercent,
          downtimeSeconds: uptime[i].downtimeSeconds,
          monitoredSeconds: uptime[i].monitoredSeconds,
          outages: uptime[i].outages,
          checks: s?.checks ?? 0,
          failedChecks: s?.failed ?? 0,
          avgResponseTimeMs: s && s.okCount > 0 ? Math.round((s.okMs / s.okCount) * 10) / 10 : null,
        };
      });
      return { endpointId: endpoint.id, timezone: timeZone, data };
    },
  };
}
