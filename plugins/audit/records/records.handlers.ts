import type { DatabaseService, OperationRequest, OperationResponse } from '../../../core/plugin-api/index.ts';
import { verifyChain } from '../chain/chain-verification.ts';
import { exportRecords } from './record-export.ts';
import { recordPage } from './record-list.ts';
import type { RecordFilters } from './record-view.ts';

/** A request the router authorized for a workspace: its tenant is there. */
type WorkspaceRequest<Query = Record<string, unknown>> = OperationRequest<unknown, Record<string, string>, Query> & { tenantId: string };

export function listAuditRecords(database: DatabaseService, req: WorkspaceRequest) {
  return recordPage(database.forTenant(req.tenantId), req.query);
}

export function verifyAuditChain(database: DatabaseService, req: WorkspaceRequest) {
  return verifyChain(database.forTenant(req.tenantId), req.tenantId);
}

export function exportAuditRecords(database: DatabaseService, req: WorkspaceRequest<RecordFilters & { format?: 'ndjson' | 'csv' }>): OperationResponse {
  const format = req.query.format === 'csv' ? 'csv' : 'ndjson';
  const stamp = new Date().toISOString().slice(0, 10);
  return {
    status: 200,
    headers: {
      'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
      'Content-Disposition': `attachment; filename="audit-${req.tenantId}-${stamp}.${format}"`,
      'Cache-Control': 'no-store',
    },
    body: exportRecords(database.forTenant(req.tenantId).query, req.query, format, req.signal),
  };
}
