import type { AlertsService, DatabaseService } from '../../../core/plugin-api/index.ts';

interface LaneRow {
  incident_open: number;
  incident_unassigned: number;
  incident_low: number;
  incident_medium: number;
  incident_high: number;
  incident_urgent: number;
  incident_at_risk: number;
  incident_breached: number;
  incident_oldest: Date | null;
  change_open: number;
  change_pending: number;
  change_resolved_7d: number;
  resolved_this_month: number;
  from_alerts: number;
  billable_minutes: number;
  by_client: { clientId: string | null; billableMinutes: number; tickets: number }[];
}

/**
 * The ops workbench's lanes in one statement: aggregates with FILTER over the workspace's tickets
 * (row-level security scopes every table read) and the billable time recorded this month, grouped
 * by client, and the firing alerts from the core's alert service, in one transaction. Nothing is
 * counted in JavaScript.
 */
export async function opsSummary(database: DatabaseService, alerts: AlertsService, tenantId: string, now: Date) {
  const { row, firingAlerts } = await database.forTenant(tenantId).transaction(async (tx) => {
    const [lanes] = await tx.query<LaneRow>(
      `WITH open_tickets AS (
       SELECT * FROM ticket WHERE status NOT IN ('resolved', 'closed')
     ), month AS (
       SELECT date_trunc('month', ?::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start
     ), billable AS (
       SELECT t.client_id, sum(e.time_spent_minutes)::int AS minutes, count(DISTINCT t.id)::int AS tickets
         FROM ticket_entry e JOIN ticket t ON t.id = e.ticket_id, month
        WHERE e.billable AND e.created_at >= month.start
        GROUP BY t.client_id
     )
     SELECT
       count(*) FILTER (WHERE type IN ('incident', 'problem'))::int AS incident_open,
       count(*) FILTER (WHERE type IN ('incident', 'problem') AND assignee IS NULL)::int AS incident_unassigned,
       count(*) FILTER (WHERE type IN ('incident', 'problem') AND priority = 'low')::int AS incident_low,
       count(*) FILTER (WHERE type IN ('incident', 'problem') AND priority = 'medium')::int AS incident_medium,
       count(*) FILTER (WHERE type IN ('incident', 'problem') AND priority = 'high')::int AS incident_high,
       count(*) FILTER (WHERE type IN ('incident', 'problem') AND priority = 'urgent')::int AS incident_urgent,
       count(*) FILTER (WHERE type IN ('incident', 'problem') AND (first_response_at_risk OR resolution_at_risk)
                          AND NOT (first_response_breached OR resolution_breached))::int AS incident_at_risk,
       count(*) FILTER (WHERE type IN ('incident', 'problem') AND (first_response_breached OR resolution_breached))::int AS incident_breached,
       min(created_at) FILTER (WHERE type IN ('incident', 'problem')) AS incident_oldest,
       count(*) FILTER (WHERE type = 'change')::int AS change_open,
       count(*) FILTER (WHERE type = 'change' AND status = 'pending')::int AS change_pending,
       (SELECT count(*)::int FROM ticket WHERE type = 'change' AND resolved_at >= ?::timestamptz - interval '7 days') AS change_resolved_7d,
       (SELECT count(*)::int FROM ticket, month WHERE resolved_at >= month.start) AS resolved_this_month,
       (SELECT count(DISTINCT l.ticket_id)::int FROM ticket_alert l JOIN open_tickets o ON o.id = l.ticket_id) AS from_alerts,
       (SELECT coalesce(sum(minutes), 0)::int FROM billable) AS billable_minutes,
       (SELECT coalesce(json_agg(json_build_object('clientId', client_id, 'billableMinutes', minutes, 'tickets', tickets) ORDER BY minutes DESC, client_id), '[]')
          FROM (SELECT * FROM billable ORDER BY minutes DESC, client_id LIMIT 20) top) AS by_client
     FROM open_tickets`,
      [now, now],
    );
    return { row: lanes, firingAlerts: await alerts.countFiring(tx) };
  });
  return {
    incident: {
      open: row.incident_open,
      unassigned: row.incident_unassigned,
      byPriority: { low: row.incident_low, medium: row.incident_medium, high: row.incident_high, urgent: row.incident_urgent },
      atRisk: row.incident_at_risk,
      breached: row.incident_breached,
      fromAlerts: row.from_alerts,
      firingAlerts,
      oldestOpenAt: row.incident_oldest ? new Date(row.incident_oldest).toISOString() : null,
    },
    change: { open: row.change_open, pending: row.change_pending, resolvedLast7Days: row.change_resolved_7d },
    billing: { billableMinutesThisMonth: row.billable_minutes, resolvedThisMonth: row.resolved_this_month, byClient: row.by_client },
    generatedAt: now.toISOString(),
  };
}
