import type { FigureRow } from '../figures/period-figures.ts';
import { publishSlaAlerts, type SlaAlert } from './sla-alerts.ts';
import type { SlaDeps } from '../sla-deps.ts';

type Subject = { id: string; name: string; node_id: string | null };

/**
 * Alerts on the current month's SLA status as the snapshot job moves it: entering at_risk or
 * breached fires (`sla_at_risk` / `sla_breached`, one alert per service or group that escalates),
 * returning to met resolves. Only changes against the previously stored status alert, so the job
 * can run every 5 minutes without repeating itself.
 */
export async function alertSlaStatusChanges(deps: SlaDeps, monthly: FigureRow[], previous: Map<string, string | null>): Promise<void> {
  const changed = monthly.filter((r) => r.status !== null && (previous.get(r.subjectId) ?? null) !== r.status);
  const relevant = changed.filter((r) => r.status !== 'met' || ['at_risk', 'breached'].includes(previous.get(r.subjectId) ?? ''));
  if (relevant.length === 0) return;
  const ids = relevant.map((r) => r.subjectId).join(',');
  // The snapshot job's rows span workspaces, so their names are looked up across them.
  const subjects = await deps.db.platform.query<Subject>(
    `SELECT id, name, node_id FROM sla_service WHERE id = ANY(string_to_array(?, ',')::uuid[])
     UNION ALL SELECT id, name, NULL FROM sla_group WHERE id = ANY(string_to_array(?, ',')::uuid[])`,
    [ids, ids],
  );
  const byId = new Map(subjects.map((s) => [s.id, s]));
  const byTenant = new Map<string, SlaAlert[]>();
  for (const r of relevant) {
    const subject = byId.get(r.subjectId);
    if (!subject) continue;
    const what = r.subjectType === 'group' ? `SLA group ${subject.name}` : subject.name;
    const value = r.actualValue === null ? 'n/a' : `${r.actualValue.toFixed(3)}%`;
    const alert: SlaAlert = {
      kind: r.status === 'breached' ? 'sla_breached' : 'sla_at_risk',
      state: r.status === 'met' ? 'resolved' : 'firing',
      severity: r.status === 'breached' ? 'critical' : r.status === 'at_risk' ? 'warning' : 'info',
      entityType: 'service',
      entityId: r.subjectId,
      nodeId: subject.node_id ?? '',
      service: subject.name,
      title:
        r.status === 'met'
          ? `${what} meets its SLA again (${r.periodKey})`
          : `${what} SLA ${(r.status as string).replace('_', ' ')} in ${r.periodKey}: ${value} against ${r.targetValue}%`,
    };
    byTenant.set(r.tenantId, [...(byTenant.get(r.tenantId) ?? []), alert]);
  }
  for (const [tenantId, alerts] of byTenant) {
    await deps.db.forTenant(tenantId).transaction((tx) => publishSlaAlerts(tx, deps, tenantId, alerts));
  }
}
