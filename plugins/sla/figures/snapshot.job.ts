import type { SqlQuery, WorkersService } from '../../../core/plugin-api/index.ts';
import { loadTimelines } from './availability-inputs.ts';
import type { FigureRow } from './period-figures.ts';
import { type PeriodType, periodsBetween } from './sla-math.ts';
import type { SlaDeps } from '../sla-deps.ts';
import { alertSlaStatusChanges } from '../alerts/sla-status-alerts.ts';

const fiveMinutes = 5 * 60_000;

/**
 * The `sla.snapshot` job (every 5 minutes): for every service and SLA group, the 5-minute buckets,
 * the day and the month that overlap the last ten minutes are computed from the transitions and
 * upserted. A closed bucket computes to the same values every time, so re-running changes nothing;
 * the open day and month are refreshed until they close.
 */
export async function runSnapshot(deps: SlaDeps & { workers: WorkersService }, at = new Date()): Promise<number> {
  const now = at.getTime();
  const periods = (['SNAPSHOT', 'DAILY', 'MONTHLY'] as PeriodType[]).flatMap((type) =>
    periodsBetween(type, now - 2 * fiveMinutes, now).map((period) => ({ type, period })),
  );
  const from = Math.min(...periods.map((p) => p.period.start));
  // Every workspace's services in one sweep: the platform handle.
  const db = deps.db.platform;
  const timelines = await loadTimelines(db.query, { from: new Date(from), to: at });
  if (timelines.length === 0) return 0;
  const rows = await deps.workers.run<Parameters<typeof import('./period-figures.ts').computeFigures>[0], FigureRow[]>('sla.availability', {
    timelines,
    periods,
    now,
  });
  const current = periods.find((p) => p.type === 'MONTHLY' && p.period.start <= now && now < p.period.end)?.period.key;
  const monthly = rows.filter((r) => r.periodType === 'MONTHLY' && r.periodKey === current);
  const previous = await db.query<{ subject_id: string; status: string | null }>(
    "SELECT subject_id, status FROM sla_snapshot WHERE period_type = 'MONTHLY' AND period_key = ? AND status IS NOT NULL",
    [current],
  );
  await upsertFigures(db.query, rows);
  await alertSlaStatusChanges(deps, monthly, new Map(previous.map((p) => [p.subject_id, p.status])));
  return rows.length;
}

/** Writes figure rows in batches; the primary key (subject, period type, key) makes it an upsert. */
export async function upsertFigures(query: SqlQuery, rows: FigureRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    const batch = rows
      .slice(i, i + 5000)
      .map((r) => ({ ...r, periodStart: new Date(r.periodStart).toISOString(), periodEnd: new Date(r.periodEnd).toISOString() }));
    await query(
      `INSERT INTO sla_snapshot (tenant_id, subject_type, subject_id, period_type, period_key, period_start, period_end, actual_value,
         target_value, eligible_seconds, downtime_seconds, excluded_seconds, incident_count, status, computed_at)
       SELECT x."tenantId", x."subjectType", x."subjectId", x."periodType", x."periodKey", x."periodStart", x."periodEnd", x."actualValue",
         x."targetValue", x."eligibleSeconds", x."downtimeSeconds", x."excludedSeconds", x."incidentCount", x.status, now()
       FROM jsonb_to_recordset(?::jsonb) AS x("tenantId" text, "subjectType" text, "subjectId" uuid, "periodType" text, "periodKey" text,
         "periodStart" timestamptz, "periodEnd" timestamptz, "actualValue" float8, "targetValue" float8, "eligibleSeconds" float8,
         "downtimeSeconds" float8, "excludedSeconds" float8, "incidentCount" int, status text)
       ON CONFLICT (subject_id, period_type, period_key) DO UPDATE SET
         actual_value = excluded.actual_value, target_value = excluded.target_value, eligible_seconds = excluded.eligible_seconds,
         downtime_seconds = excluded.downtime_seconds, excluded_seconds = excluded.excluded_seconds, incident_count = excluded.incident_count,
         status = excluded.status, computed_at = now()
       WHERE (sla_snapshot.actual_value, sla_snapshot.target_value, sla_snapshot.downtime_seconds, sla_snapshot.excluded_seconds,
              sla_snapshot.incident_count, sla_snapshot.status)
         IS DISTINCT FROM (excluded.actual_value, excluded.target_value, excluded.downtime_seconds, excluded.excluded_seconds,
              excluded.incident_count, excluded.status)`,
      [JSON.stringify(batch)],
    );
  }
}
