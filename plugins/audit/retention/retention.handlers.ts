import type { DatabaseService, OperationRequest } from '../../../core/plugin-api/index.ts';
import { readRetention } from './audit-retention.ts';

type WorkspaceRequest<Body = unknown> = OperationRequest<Body> & { tenantId: string };

export function getAuditRetention(database: DatabaseService, req: WorkspaceRequest) {
  return readRetention(database.forTenant(req.tenantId).query);
}

/** Sets or clears the policy; being a change, it is itself audited like any other. */
export async function setAuditRetention(database: DatabaseService, req: WorkspaceRequest<{ retainDays: number | null }>) {
  const db = database.forTenant(req.tenantId);
  await db.transaction(async (tx) => {
    if (req.body.retainDays === null) await tx.query('DELETE FROM audit_retention');
    else {
      await tx.query(
        `INSERT INTO audit_retention (tenant_id, retain_days) VALUES (?, ?)
         ON CONFLICT (tenant_id) DO UPDATE SET retain_days = excluded.retain_days, updated_at = now()`,
        [req.tenantId, req.body.retainDays],
      );
    }
  });
  return readRetention(db.query);
}
