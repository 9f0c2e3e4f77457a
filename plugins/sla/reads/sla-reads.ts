import { AppError, likePattern, listEnvelope, parseListQuery } from '../../../core/plugin-api/index.ts';
import { defaultTierTargets, targetJoin, targetSql } from '../figures/availability-inputs.ts';
import type { SlaDeps } from '../sla-deps.ts';
import { periodRange } from '../figures/sla-math.ts';
import { iso, ms, serviceColumns, serviceFrom, type ServiceRow, toService } from '../catalog/service-row.ts';

/**
 * The SLA reads, shared by REST handlers and GraphQL resolvers so both answer the same. Figures come
 * from sla_snapshot (written every 5 minutes by the snapshot job), never recomputed per request.
 */
type SnapshotRow = {
  period_key: string;
  period_start: Date;
  period_end: Date;
  actual_value: number | null;
  target_value: number | null;
  incident_count: number;
  downtime_seconds: number;
  excluded_seconds: number;
  eligible_seconds: number;
  status: string | null;
};

const round = (v: number | null, digits = 4) => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);

function toTrendPoint(r: SnapshotRow) {
  return {
    periodKey: r.period_key,
    periodStart: new Date(r.period_start).toISOString(),
    actualValue: round(r.actual_value === null ? null : Number(r.actual_value)),
    targetValue: r.target_value === null ? null : Number(r.target_value),
    incidentCount: Number(r.incident_count),
    downtimeMinutes: round(Number(r.downtime_seconds) / 60, 2) as number,
    status: r.status,
  };
}

/** Budget left in a period: (1 − target) of the period's seconds that are not excluded, minus downtime. */
function budgetRemainingMinutes(r: SnapshotRow): number | null {
  if (r.target_value === null) return null;
  const length = (new Date(r.period_end).getTime() - new Date(r.period_start).getTime()) / 1000;
  const budget = (1 - Number(r.target_value) / 100) * (length - Number(r.excluded_seconds));
  return round((budget - Number(r.downtime_seconds)) / 60, 2);
}

const worst = ['DOWN', 'UNKNOWN', 'DEGRADED', 'MAINTENANCE', 'OPERATIONAL'];

export function slaReads(deps: SlaDeps) {
  // Every read is one workspace's: row-level security holds the tenant condition.
  const db = (tenantId: string) => deps.db.forTenant(tenantId);

  async function service(tenantId: string, id: string) {
    const [row] = await db(tenantId).query<ServiceRow>(`SELECT ${serviceColumns} FROM ${serviceFrom} WHERE s.id = ?`, [id]);
    if (!row) throw new AppError('not_found', `No service ${id}`);
    return row;
  }

  return {
    async listServices(tenantId: string, q: Record<string, unknown>) {
      const list = parseListQuery<'name' | 'nodeId' | 'status' | 'statusChangedAt'>(q, {
        sortable: { name: 's.name', nodeId: 's.node_id', status: 's.status', statusChangedAt: 's.status_changed_at' },
        defaultSort: 'name',
      });
      const where: string[] = [];
      const params: unknown[] = [];
      const filters: Record<string, unknown> = {};
      if (typeof q.nodeId === 'string') {
        where.push("(s.node_id = ? OR s.node_id LIKE ? ESCAPE '\\')");
        params.push(q.nodeId, `${likePattern(q.nodeId).slice(1, -1)}/%`);
        filters.nodeId = q.nodeId;
      }
      for (const [key, column] of [
        ['status', 's.status'],
        ['slaGroup', 'g.name'],
      ] as const) {
        if (typeof q[key] === 'string') {
          where.push(`${column} = ?`);
          params.push(q[key]);
          filters[key] = q[key];
        }
      }
      if (typeof q.tag === 'string') {
        where.push('? = ANY(s.tags)');
        params.push(q.tag);
        filters.tag = q.tag;
      }
      if (list.q) {
        where.push("(s.name ILIKE ? ESCAPE '\\' OR s.display_name ILIKE ? ESCAPE '\\')");
        params.push(likePattern(list.q), likePattern(list.q));
      }
      const rows = await db(tenantId).query<ServiceRow & { total: string }>(
        `SELECT ${serviceColumns}, count(*) OVER () AS total FROM ${serviceFrom} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${list.orderBy}, s.id LIMIT ? OFFSET ?`,
        [...params, list.limit, list.offset],
      );
      return listEnvelope(rows.map(toService), Number(rows[0]?.total ?? 0), list, filters);
    },

    async getService(tenantId: string, id: string) {
      const row = await service(tenantId, id);
      const month = periodRange('MONTHLY', Date.now());
      const [figures] = await db(tenantId).query<SnapshotRow>(
        "SELECT * FROM sla_snapshot WHERE subject_id = ? AND period_type = 'MONTHLY' AND period_key = ?",
        [id, month.key],
      );
      return {
        ...toService(row),
        currentMonth: figures
          ? {
              ...toTrendPoint(figures),
              excludedMinutes: round(Number(figures.excluded_seconds) / 60, 2),
              budgetRemainingMinutes: budgetRemainingMinutes(figures),
            }
          : null,
      };
    },

    async snapshotTrend(tenantId: string, serviceId: string, hoursBack: number) {
      await service(tenantId, serviceId);
      const rows = await db(tenantId).query<SnapshotRow>(
        `SELECT * FROM sla_snapshot WHERE subject_id = ? AND period_type = 'SNAPSHOT' AND period_start >= now() - make_interval(hours => ?)
         ORDER BY period_start`,
        [serviceId, hoursBack],
      );
      return rows.map(toTrendPoint);
    },

    /** Per period over the services with an SLA (or one service / group): time-weighted, worst status. */
    async trendData(tenantId: string, filter: { periodType?: string; monthsBack?: number; serviceId?: string; slaGroup?: string }) {
      const periodType = filter.periodType ?? 'DAILY';
      if (periodType !== 'DAILY' && periodType !== 'MONTHLY') {
        throw new AppError('validation_failed', 'periodType must be DAILY or MONTHLY', {
          details: [{ path: '/periodType', message: 'must be DAILY or MONTHLY' }],
        });
      }
      const monthsBack = filter.monthsBack ?? 1;
      if (!Number.isInteger(monthsBack) || monthsBack < 1 || monthsBack > 36) {
        throw new AppError('validation_failed', 'monthsBack must be 1 to 36', {
          details: [{ path: '/monthsBack', message: 'must be an integer from 1 to 36' }],
        });
      }
      const where = ["x.subject_type = 'service' AND x.period_type = ? AND x.period_start >= date_trunc('month', now()) - make_interval(months => ?)"];
      const params: unknown[] = [periodType, monthsBack - 1];
      if (filter.serviceId) {
        where.push('x.subject_id = ?');
        params.push(filter.serviceId);
      } else {
        where.push('s.sla_group_id IS NOT NULL');
      }
      if (filter.slaGroup) {
        where.push('g.name = ?');
        params.push(filter.slaGroup);
      }
      const rows = await db(tenantId).query<SnapshotRow>(
        `SELECT x.period_key, min(x.period_start) AS period_start, max(x.period_end) AS period_end,
           CASE WHEN sum(x.eligible_seconds) > 0 THEN 100 * (sum(x.eligible_seconds) - sum(x.downtime_seconds)) / sum(x.eligible_seconds) END AS actual_value,
           min(x.target_value) AS target_value, sum(x.incident_count) AS incident_count, sum(x.downtime_seconds) AS downtime_seconds,
           sum(x.excluded_seconds) AS excluded_seconds, sum(x.eligible_seconds) AS eligible_seconds,
           CASE WHEN bool_or(x.status = 'breached') THEN 'breached' WHEN bool_or(x.status = 'at_risk') THEN 'at_risk'
                WHEN bool_or(x.status = 'met') THEN 'met' END AS status
         FROM sla_snapshot x JOIN sla_service s ON s.id = x.subject_id LEFT JOIN sla_group g ON g.id = s.sla_group_id
         WHERE ${where.join(' AND ')}
         GROUP BY x.period_key ORDER BY min(x.period_start)`,
        params,
      );
      return rows.map(toTrendPoint);
    },

    async dashboardStats(tenantId: string) {
      const month = periodRange('MONTHLY', Date.now());
      const [row] = await db(tenantId).query<Record<string, string | number | null>>(
        `SELECT count(*) AS total, count(s.sla_group_id) AS with_sla,
           count(*) FILTER (WHERE s.sla_group_id IS NOT NULL AND x.status = 'met') AS met,
           count(*) FILTER (WHERE s.sla_group_id IS NOT NULL AND x.status = 'at_risk') AS at_risk,
           count(*) FILTER (WHERE s.sla_group_id IS NOT NULL AND x.status = 'breached') AS breached,
           avg(x.actual_value) FILTER (WHERE s.sla_group_id IS NOT NULL) AS average
         FROM sla_service s LEFT JOIN sla_snapshot x ON x.subject_id = s.id AND x.period_type = 'MONTHLY' AND x.period_key = ?`,
        [month.key],
      );
      return {
        totalServices: Number(row.total),
        servicesWithSla: Number(row.with_sla),
        metCount: Number(row.met),
        atRiskCount: Number(row.at_risk),
        breachedCount: Number(row.breached),
        averageUptime: round(row.average === null ? null : Number(row.average)),
      };
    },

    async groups(tenantId: string) {
      const month = periodRange('MONTHLY', Date.now());
      const groups = await db(tenantId).query<{
        id: string;
        name: string;
        display_name: string | null;
        tier: string;
        target: number;
        actual: number | null;
        sla_status: string | null;
      }>(
        `SELECT g.id, g.name, g.display_name, g.tier, ${targetSql} AS target, x.actual_value AS actual, x.status AS sla_status
         FROM sla_group g ${targetJoin}
         LEFT JOIN sla_snapshot x ON x.subject_id = g.id AND x.period_type = 'MONTHLY' AND x.period_key = ?
         ORDER BY g.name`,
        [JSON.stringify(defaultTierTargets), month.key],
      );
      const services = await db(tenantId).query<ServiceRow & { group_id: string }>(
        `SELECT ${serviceColumns}, s.sla_group_id AS group_id FROM ${serviceFrom} WHERE s.sla_group_id IS NOT NULL ORDER BY s.name, s.node_id`,
      );
      return groups.map((g) => {
        const members = services.filter((s) => s.group_id === g.id).map(toService);
        const status = members.length === 0 ? 'UNKNOWN' : (worst.find((w) => members.some((m) => m.status === w)) ?? 'UNKNOWN');
        return {
          id: g.id,
          name: g.name,
          displayName: g.display_name,
          tier: g.tier,
          targetValue: Number(g.target),
          status,
          slaStatus: g.sla_status,
          currentUptime: round(g.actual === null ? null : Number(g.actual)),
          services: members,
        };
      });
    },

    async incidents(tenantId: string, serviceId: string, q: Record<string, unknown>) {
      await service(tenantId, serviceId);
      const list = parseListQuery(q, { sortable: { startedAt: 'started_at' }, defaultSort: 'startedAt' });
      const rows = await db(tenantId).query<{ id: string; service_id: string; status: string; started_at: Date; ended_at: Date | null; total: string }>(
        `SELECT id, service_id, status, started_at, ended_at, count(*) OVER () AS total FROM sla_incident
         WHERE service_id = ? ORDER BY started_at DESC, id LIMIT ? OFFSET ?`,
        [serviceId, list.limit, list.offset],
      );
      const data = rows.map((r) => ({
        id: r.id,
        serviceId: r.service_id,
        status: r.status,
        startedAt: iso(r.started_at),
        endedAt: iso(r.ended_at),
        downtimeMinutes: round(((r.ended_at ? ms(r.ended_at) : Date.now()) - ms(r.started_at)) / 60_000, 2),
      }));
      return listEnvelope(data, Number(rows[0]?.total ?? 0), { ...list, sortOrder: 'desc' });
    },

    async nodes(tenantId: string) {
      const rows = await db(tenantId).query<{
        node_id: string;
        agent_version: string | null;
        last_heartbeat_at: Date | null;
        last_sync_at: Date | null;
        silent: boolean;
        services: string;
      }>(
        `SELECT n.node_id, n.agent_version, n.last_heartbeat_at, n.last_sync_at, n.silent,
           (SELECT count(*) FROM sla_service s WHERE s.node_id = n.node_id) AS services
         FROM sla_node n ORDER BY n.silent DESC, n.node_id`,
      );
      return rows.map((r) => ({
        nodeId: r.node_id,
        agentVersion: r.agent_version,
        lastHeartbeatAt: iso(r.last_heartbeat_at),
        lastSyncAt: iso(r.last_sync_at),
        silent: r.silent,
        services: Number(r.services),
      }));
    },
  };
}

export type SlaReads = ReturnType<typeof slaReads>;
