import type { ServiceHealthService, TaggedReport, Tx } from '../../../core/plugin-api/index.ts';
import { periodRange } from './sla-math.ts';

// The month's error budget left: what the target allows of the period's eligible time, less the downtime so far.
const budgetSql = `CASE WHEN f.target_value IS NULL THEN NULL ELSE
  (1 - f.target_value / 100) * (extract(epoch FROM f.period_end - f.period_start) - f.excluded_seconds) - f.downtime_seconds END`;

const percent = (value: number | null) => (value === null ? null : Math.round(Number(value) * 1000) / 1000);
const seconds = (value: number | null) => (value === null ? null : Math.round(Number(value)));

/**
 * Services carrying any of the tags, their groups, this month's figures from the snapshots, and the
 * latest daily reports narrowed to those services (tokens: serviceHealthToken).
 */
export const taggedHealth: ServiceHealthService = {
  async forTags(tx: Tx, tags: string[], options: { reports?: number } = {}) {
    const month = periodRange('MONTHLY', Date.now()).key;
    const services = await tx.query<Record<string, any>>(
      `SELECT s.id, s.name, s.display_name, s.status, g.name AS sla_group, s.sla_group_id,
              f.actual_value, f.target_value, coalesce(f.downtime_seconds, 0) AS downtime_seconds, f.status AS sla_status, ${budgetSql} AS budget
         FROM sla_service s
         LEFT JOIN sla_group g ON g.id = s.sla_group_id
         LEFT JOIN sla_snapshot f ON f.subject_id = s.id AND f.period_type = 'MONTHLY' AND f.period_key = ?
        WHERE s.tags && ?::text[]
        ORDER BY s.name, s.id`,
      [month, tags],
    );
    const groupIds = [...new Set(services.map((s) => s.sla_group_id).filter(Boolean))];
    const groups =
      groupIds.length === 0
        ? []
        : await tx.query<Record<string, any>>(
            `SELECT g.id, g.name, g.display_name, g.target_percent, f.actual_value, f.status AS sla_status, ${budgetSql} AS budget
               FROM sla_group g
               LEFT JOIN sla_snapshot f ON f.subject_id = g.id AND f.period_type = 'MONTHLY' AND f.period_key = ?
              WHERE g.id = ANY(?::uuid[]) ORDER BY g.name`,
            [month, groupIds],
          );
    const ids = services.map((s) => s.id as string);
    const reports =
      ids.length === 0
        ? []
        : await tx.query<{ id: string; report_date: string; generated_at: Date; rows: TaggedReport['rows'] }>(
            `SELECT r.id, to_char(r.report_date, 'YYYY-MM-DD') AS report_date, r.generated_at,
                    coalesce((SELECT jsonb_agg(jsonb_build_object('serviceId', row->>'serviceId', 'service', row->>'service',
                                'actualValue', row->'actualValue', 'targetValue', row->'targetValue', 'status', row->'status',
                                'downtimeMinutes', row->'downtimeMinutes', 'incidents', row->'incidents'))
                                FROM jsonb_array_elements(r.rows) row WHERE row->>'serviceId' = ANY(?::text[])), '[]') AS rows
               FROM sla_report r ORDER BY r.report_date DESC, r.generated_at DESC LIMIT ?`,
            [ids, options.reports ?? 3],
          );
    return {
      services: services.map((s) => ({
        id: s.id,
        name: s.name,
        displayName: s.display_name,
        status: s.status,
        slaGroup: s.sla_group,
        availabilityPercent: percent(s.actual_value),
        targetPercent: s.target_value === null ? null : Number(s.target_value),
        downtimeSeconds: Math.round(Number(s.downtime_seconds)),
        errorBudgetRemainingSeconds: seconds(s.budget),
        slaStatus: s.sla_status,
      })),
      groups: groups.map((g) => ({
        id: g.id,
        name: g.name,
        displayName: g.display_name,
        targetPercent: g.target_percent === null ? null : Number(g.target_percent),
        availabilityPercent: percent(g.actual_value),
        errorBudgetRemainingSeconds: seconds(g.budget),
        slaStatus: g.sla_status,
      })),
      reports: reports.map((r) => ({ id: r.id, reportDate: r.report_date, generatedAt: new Date(r.generated_at).toISOString(), rows: r.rows })),
    };
  },
};
