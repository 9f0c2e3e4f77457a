import { agentSources } from '../operator/operator-sync.ts';
import { publishSlaAlerts, type SlaAlert } from './sla-alerts.ts';
import type { SlaDeps } from '../sla-deps.ts';
import type { ServiceStatus } from '../figures/sla-math.ts';
import { recordStatusChanges } from '../operator/status-changes.ts';
import { silentAfterSeconds } from '../operator/operator.handlers.ts';

/**
 * The `sla.watch` job (every minute): detection over silence. A node whose agent neither sent a
 * heartbeat nor synced for `silentAfterSeconds` goes silent, its agent-reported services become
 * UNKNOWN (which counts as downtime) and an alert fires; a backup that did not succeed within its
 * service's maxAgeDays becomes overdue and raises an alert. Each workspace's changes commit together.
 */
export async function runWatch(deps: SlaDeps, now = new Date()): Promise<{ silentNodes: number; overdueBackups: number }> {
  const cutoff = new Date(now.getTime() - silentAfterSeconds * 1000);
  // Both sweeps look across every workspace; each workspace's changes then run in its own transaction.
  const candidates = await deps.db.platform.query<{ tenant_id: string; node_id: string }>(
    'SELECT tenant_id, node_id FROM sla_node WHERE NOT silent AND greatest(last_heartbeat_at, last_sync_at) < ?',
    [cutoff],
  );
  const byTenant = new Map<string, string[]>();
  for (const c of candidates) byTenant.set(c.tenant_id, [...(byTenant.get(c.tenant_id) ?? []), c.node_id]);
  let silentNodes = 0;
  for (const [tenantId, nodes] of byTenant) {
    silentNodes += await deps.db.forTenant(tenantId).transaction(async (tx) => {
      const silenced = await tx.query<{ node_id: string; seen: Date }>(
        `UPDATE sla_node SET silent = true WHERE node_id = ANY(string_to_array(?, ',')) AND NOT silent
           AND greatest(last_heartbeat_at, last_sync_at) < ?
         RETURNING node_id, greatest(last_heartbeat_at, last_sync_at) AS seen`,
        [nodes.join(','), cutoff],
      );
      if (silenced.length === 0) return 0;
      const changed = await tx.query<{ id: string; name: string; node_id: string; old: ServiceStatus }>(
        `UPDATE sla_service s SET status = 'UNKNOWN', status_changed_at = now(), updated_at = now(), message = 'agent silent'
         FROM (SELECT id, status AS old FROM sla_service WHERE node_id = ANY(string_to_array(?, ','))
                 AND source IN ${agentSources} AND status <> 'UNKNOWN' FOR UPDATE) o
         WHERE s.id = o.id RETURNING s.id, s.name, s.node_id, o.old`,
        [silenced.map((n) => n.node_id).join(',')],
      );
      await recordStatusChanges(
        tx,
        deps,
        tenantId,
        changed.map((c) => ({ serviceId: c.id, name: c.name, nodeId: c.node_id, from: c.old, to: 'UNKNOWN', reason: `the agent of ${c.node_id} is silent` })),
        now,
      );
      const nodeAlerts: SlaAlert[] = silenced.map((n) => ({
        kind: 'agent_silent',
        state: 'firing',
        severity: 'critical',
        entityType: 'node',
        entityId: n.node_id,
        nodeId: n.node_id,
        title: `Agent of ${n.node_id} is silent`,
        message: `No heartbeat or sync since ${new Date(n.seen).toISOString()}; its services are UNKNOWN until it reports again.`,
      }));
      await publishSlaAlerts(tx, deps, tenantId, nodeAlerts);
      return silenced.length;
    });
  }

  const overdue = await deps.db.platform.query<{ tenant_id: string; id: string; name: string; node_id: string; backup_max_age_days: number }>(
    `SELECT tenant_id, id, name, node_id, backup_max_age_days FROM sla_service
     WHERE backup_expected AND NOT backup_overdue AND coalesce(last_backup_success_at, created_at) < ?::timestamptz - make_interval(days => backup_max_age_days)`,
    [now],
  );
  const overdueByTenant = new Map<string, typeof overdue>();
  for (const o of overdue) overdueByTenant.set(o.tenant_id, [...(overdueByTenant.get(o.tenant_id) ?? []), o]);
  for (const [tenantId, services] of overdueByTenant) {
    await deps.db.forTenant(tenantId).transaction(async (tx) => {
      const marked = await tx.query<{ id: string }>(
        "UPDATE sla_service SET backup_overdue = true WHERE id = ANY(string_to_array(?, ',')::uuid[]) AND NOT backup_overdue RETURNING id",
        [services.map((s) => s.id).join(',')],
      );
      const ids = new Set(marked.map((m) => m.id));
      const alerts: SlaAlert[] = services
        .filter((s) => ids.has(s.id))
        .map((s) => ({
          kind: 'backup_overdue',
          state: 'firing',
          severity: 'warning',
          entityType: 'service',
          entityId: s.id,
          nodeId: s.node_id,
          service: s.name,
          title: `Backup of ${s.name} is overdue`,
          message: `No successful backup within ${s.backup_max_age_days} day(s).`,
        }));
      await publishSlaAlerts(tx, deps, tenantId, alerts);
    });
  }
  return { silentNodes, overdueBackups: overdue.length };
}
