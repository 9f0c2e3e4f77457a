import type { OperationHandler, OperationRequest } from '../../../core/plugin-api/index.ts';
import { definitionInput, type ServiceDefinition, upsertService } from '../catalog/catalog-writes.ts';
import { applyStatusSync, repeatSync, type StatusSync, syncHash } from './operator-sync.ts';
import { publishSlaAlerts } from '../alerts/sla-alerts.ts';
import { type SlaDeps, tenantOf } from '../sla-deps.ts';
import type { SlaTx } from '../sla-tx.ts';
import { serviceColumns, serviceFrom, type ServiceRow, toService } from '../catalog/service-row.ts';

/** Heartbeats missed for this long mark a node silent (three 30-second beats). */
export const silentAfterSeconds = 90;

/** The operator agent's API (seed 001): sync, heartbeat, register, expected services. */
export function operatorHandlers(deps: SlaDeps): Record<string, OperationHandler> {
  return {
    async reportOperatorStatus(req: OperationRequest<StatusSync>) {
      const tenantId = tenantOf(req);
      const hash = syncHash(req.body, req.rawBody);
      if (await repeatSync(deps.db, tenantId, req.body, hash)) {
        return { success: true, services: new Set(req.body.services.map((s) => s.name)).size, changed: 0, missing: 0 };
      }
      const outcome = await deps.db
        .forTenant(tenantId)
        .transaction((tx) => applyStatusSync(tx, deps, tenantId, req.body, hash, (t, tenant, node) => agentBack(t, deps, tenant, node)));
      return { success: true, services: outcome.services, changed: outcome.changes.length, missing: outcome.missing };
    },

    async reportOperatorHeartbeat(
      req: OperationRequest<{ nodeId: string; version?: string; watchedServices?: number; healthyServices?: number; unhealthyServices?: number }>,
    ) {
      const tenantId = tenantOf(req);
      const b = req.body;
      await deps.db.forTenant(tenantId).transaction(async (tx) => {
        const [row] = await tx.query<{ was_silent: boolean | null }>(
          `WITH prior AS (SELECT silent FROM sla_node WHERE node_id = ?)
           INSERT INTO sla_node (tenant_id, node_id, agent_version, last_heartbeat_at, watched_services, healthy_services, unhealthy_services)
           VALUES (?, ?, ?, now(), ?, ?, ?)
           ON CONFLICT (tenant_id, node_id) DO UPDATE SET last_heartbeat_at = now(), silent = false,
             agent_version = coalesce(excluded.agent_version, sla_node.agent_version), watched_services = excluded.watched_services,
             healthy_services = excluded.healthy_services, unhealthy_services = excluded.unhealthy_services
           RETURNING (SELECT silent FROM prior) AS was_silent`,
          [b.nodeId, tenantId, b.nodeId, b.version ?? null, b.watchedServices ?? null, b.healthyServices ?? null, b.unhealthyServices ?? null],
        );
        if (row.was_silent) await agentBack(tx, deps, tenantId, b.nodeId);
      });
      return { success: true, nodeId: b.nodeId, silentAfterSeconds };
    },

    async registerOperatorService(req: OperationRequest<ServiceDefinition>) {
      const tenantId = tenantOf(req);
      const b = req.body;
      const db = deps.db.forTenant(tenantId);
      const { created, id } = await db.transaction((tx) => upsertService(tx, deps, tenantId, 'register', definitionInput(b)));
      const [row] = await db.query<ServiceRow>(`SELECT ${serviceColumns} FROM ${serviceFrom} WHERE s.id = ?`, [id]);
      return { status: created ? 201 : 200, body: { success: true, created, service: toService(row) } };
    },

    async listOperatorServices(req: OperationRequest<unknown, Record<string, string>, { nodeId: string }>) {
      const rows = await deps.db
        .forTenant(tenantOf(req))
        .query<ServiceRow>(`SELECT ${serviceColumns} FROM ${serviceFrom} WHERE s.node_id = ? ORDER BY s.name`, [req.query.nodeId]);
      return { nodeId: req.query.nodeId, services: rows.map(toService) };
    },
  };
}

/** A silent node spoke again: its alert resolves (its services recover with the next status sync). */
export async function agentBack(tx: SlaTx, deps: SlaDeps, tenantId: string, nodeId: string): Promise<void> {
  await publishSlaAlerts(tx, deps, tenantId, [
    { kind: 'agent_silent', state: 'resolved', severity: 'info', entityType: 'node', entityId: nodeId, nodeId, title: `Agent of ${nodeId} is back` },
  ]);
}
