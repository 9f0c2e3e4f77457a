import { randomUUID } from 'node:crypto';
import { AppError, type OperationHandler, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { upsertService } from '../catalog/catalog-writes.ts';
import { publishSlaAlerts, type SlaAlert } from '../alerts/sla-alerts.ts';
import { type SlaDeps, tenantOf } from '../sla-deps.ts';
import type { ServiceStatus } from '../figures/sla-math.ts';
import type { SlaTx } from '../sla-tx.ts';

export type StorageLevel = 'healthy' | 'warning' | 'critical';

/** healthy above 30 % free, warning from 10 to 30 %, critical below 10 % (seed 001). */
export function storageLevel(freePercent: number): StorageLevel {
  if (freePercent > 30) return 'healthy';
  return freePercent >= 10 ? 'warning' : 'critical';
}

/** Where a service-level backup report without nodeId lands (flagged in the UI, never dropped). */
export const unknownNode = 'unknown';

interface BackupReport {
  service?: string;
  nodeId?: string;
  slaGroup?: string;
  namespace?: string;
  status: 'success' | 'failed' | 'partial';
  sizeBytes?: number;
  message?: string;
}

/** Pushes from outside the operator agent: health, storage and backup reports (seed 001). */
export function pushHandlers(deps: SlaDeps): Record<string, OperationHandler> {
  return {
    async reportHealth(
      req: OperationRequest<{
        service: string;
        nodeId: string;
        status: ServiceStatus;
        message?: string;
        criticality?: string;
        slaGroup?: string;
        serviceType?: string;
        tags?: string[];
      }>,
    ) {
      const tenantId = tenantOf(req);
      const b = req.body;
      const upserted = await deps.db.forTenant(tenantId).transaction((tx) =>
        upsertService(tx, deps, tenantId, 'health', {
          nodeId: b.nodeId,
          name: b.service,
          status: b.status,
          message: b.message,
          criticality: b.criticality,
          slaGroup: b.slaGroup,
          serviceType: b.serviceType,
          tags: b.tags,
        }),
      );
      return { success: true, serviceName: b.service, status: upserted.status, created: upserted.created };
    },

    async reportStorage(
      req: OperationRequest<{ service: string; nodeId: string; allocatedBytes: number; usedBytes: number; storageType?: string; mountPath?: string }>,
    ) {
      const tenantId = tenantOf(req);
      const b = req.body;
      if (b.usedBytes > b.allocatedBytes) {
        throw new AppError('validation_failed', 'usedBytes cannot exceed allocatedBytes', {
          details: [{ path: '/usedBytes', message: 'must not exceed allocatedBytes' }],
        });
      }
      const freePercent = Math.round(((b.allocatedBytes - b.usedBytes) / b.allocatedBytes) * 10_000) / 100;
      const status = storageLevel(freePercent);
      const storage = {
        allocatedBytes: b.allocatedBytes,
        usedBytes: b.usedBytes,
        freePercent,
        status,
        storageType: b.storageType ?? null,
        mountPath: b.mountPath ?? null,
        reportedAt: new Date().toISOString(),
      };
      await deps.db.forTenant(tenantId).transaction(async (tx) => {
        const u = await upsertService(tx, deps, tenantId, 'storage', { nodeId: b.nodeId, name: b.service, addTags: ['storage'], storage });
        const before = (u.previousStorage?.status as StorageLevel | undefined) ?? 'healthy';
        if (before !== status) {
          const base = { kind: 'storage' as const, entityType: 'service' as const, entityId: u.id, nodeId: b.nodeId, service: b.service };
          const where = `${b.service}${b.mountPath ? ` (${b.mountPath})` : ''} on ${b.nodeId}`;
          const change: SlaAlert =
            status === 'healthy'
              ? { ...base, state: 'resolved', severity: 'info', title: `Storage of ${where} is healthy again` }
              : {
                  ...base,
                  state: 'firing',
                  severity: status === 'critical' ? 'critical' : 'warning',
                  title: `Storage of ${where} is ${status}: ${freePercent}% free`,
                };
          await publishSlaAlerts(tx, deps, tenantId, [change]);
        }
      });
      return { success: true, serviceName: b.service, freePercent, status };
    },

    async reportBackup(req: OperationRequest<BackupReport>) {
      const tenantId = tenantOf(req);
      const b = req.body;
      const modes = (['service', 'slaGroup', 'namespace'] as const).filter((m) => b[m] !== undefined);
      if (modes.length !== 1) {
        throw new AppError('validation_failed', 'Address the report with exactly one of service, slaGroup and namespace', {
          details: [{ path: '/', message: modes.length === 0 ? 'needs service, slaGroup or namespace' : `${modes.join(' and ')} given together` }],
        });
      }
      const names = await deps.db.forTenant(tenantId).transaction(async (tx) => {
        let targets: { id: string; name: string; node_id: string }[];
        if (b.service) {
          const nodeId = b.nodeId ?? unknownNode;
          const u = await upsertService(tx, deps, tenantId, 'backup', {
            nodeId,
            name: b.service,
            ...(b.nodeId ? {} : { message: 'backup reported without nodeId' }),
          });
          targets = [{ id: u.id, name: b.service, node_id: nodeId }];
        } else if (b.slaGroup) {
          const [group] = await tx.query<{ id: string }>('SELECT id FROM sla_group WHERE name = ?', [b.slaGroup]);
          if (!group) throw new AppError('not_found', `No SLA group named ${b.slaGroup}`);
          targets = await tx.query('SELECT id, name, node_id FROM sla_service WHERE sla_group_id = ? AND backup_expected ORDER BY name, node_id', [group.id]);
        } else {
          const inNamespace = await tx.query<{ id: string; name: string; node_id: string; backup_expected: boolean }>(
            'SELECT id, name, node_id, backup_expected FROM sla_service WHERE namespace = ? ORDER BY name, node_id',
            [b.namespace],
          );
          if (inNamespace.length === 0) throw new AppError('not_found', `No services in namespace ${b.namespace}`);
          targets = inNamespace.filter((s) => s.backup_expected);
        }
        if (targets.length > 0) await recordBackups(tx, deps, tenantId, targets, b);
        return targets.map((t) => t.name);
      });
      return {
        success: true,
        message: `backup report recorded for ${names.length} ${names.length === 1 ? 'service' : 'services'}`,
        affected: names.length,
        services: names,
      };
    },
  };
}

/**
 * Stores one report per service and moves each service's backup state. A success clears the
 * overdue flag and any failed-backup alert; a failure (or partial) raises one.
 */
async function recordBackups(
  tx: SlaTx,
  deps: SlaDeps,
  tenantId: string,
  targets: { id: string; name: string; node_id: string }[],
  b: BackupReport,
): Promise<void> {
  const ids = targets.map((t) => t.id).join(',');
  await tx.query(
    `INSERT INTO sla_backup_report (id, tenant_id, service_id, status, size_bytes, message)
     SELECT x.id, ?, x.service_id, ?, ?, ? FROM jsonb_to_recordset(?::jsonb) AS x(id uuid, service_id uuid)`,
    [tenantId, b.status, b.sizeBytes ?? null, b.message ?? null, JSON.stringify(targets.map((t) => ({ id: randomUUID(), service_id: t.id })))],
  );
  const success = b.status === 'success';
  const before = await tx.query<{ id: string; backup_overdue: boolean; last_backup_status: string | null }>(
    `SELECT id, backup_overdue, last_backup_status FROM sla_service WHERE id = ANY(string_to_array(?, ',')::uuid[]) FOR UPDATE`,
    [ids],
  );
  await tx.query(
    `UPDATE sla_service SET last_backup_at = now(), last_backup_status = ?, updated_at = now(),
       last_backup_success_at = CASE WHEN ? THEN now() ELSE last_backup_success_at END,
       backup_overdue = CASE WHEN ? THEN false ELSE backup_overdue END
     WHERE id = ANY(string_to_array(?, ',')::uuid[])`,
    [b.status, success, success, ids],
  );
  const alerts: SlaAlert[] = [];
  const byId = new Map(before.map((r) => [r.id, r]));
  for (const t of targets) {
    const prior = byId.get(t.id);
    const base = { entityType: 'service' as const, entityId: t.id, nodeId: t.node_id, service: t.name };
    if (!success) {
      alerts.push({ ...base, kind: 'backup_failed', state: 'firing', severity: 'warning', title: `Backup of ${t.name} ${b.status}`, message: b.message });
    } else {
      if (prior?.last_backup_status && prior.last_backup_status !== 'success') {
        alerts.push({ ...base, kind: 'backup_failed', state: 'resolved', severity: 'info', title: `Backup of ${t.name} succeeded` });
      }
      if (prior?.backup_overdue) alerts.push({ ...base, kind: 'backup_overdue', state: 'resolved', severity: 'info', title: `Backup of ${t.name} is current` });
    }
  }
  await publishSlaAlerts(tx, deps, tenantId, alerts);
}
