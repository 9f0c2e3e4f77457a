import type { Tx } from '../../../core/plugin-api/index.ts';

/** A record as appended; the sealer adds its place in the chain (seq) and its hashes. */
export interface NewAuditRecord {
  tenantId: string;
  principalKind: string;
  principalId: string | null;
  principalName: string | null;
  action: string;
  target: string | null;
  outcome: 'success' | 'failure';
  correlationId: string | null;
  sourceAddress: string | null;
  diff: unknown[];
  details: unknown;
}

/**
 * Writes the record in the changing transaction: one INSERT, no lock shared with other writers, so
 * auditing does not make a workspace's changes commit one at a time. The sealer chains it once the
 * transaction is over (chain-sealer.ts).
 */
export async function appendRecord(tx: Tx, record: NewAuditRecord): Promise<void> {
  await tx.query(
    `INSERT INTO audit_record (tenant_id, occurred_at, principal_kind, principal_id, principal_name, action, target, outcome,
                               correlation_id, source_address, diff, details)
     VALUES (?, clock_timestamp(), ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)`,
    [
      record.tenantId,
      record.principalKind,
      record.principalId,
      record.principalName,
      record.action,
      record.target,
      record.outcome,
      record.correlationId,
      record.sourceAddress,
      JSON.stringify(record.diff),
      record.details === undefined || record.details === null ? null : JSON.stringify(record.details),
    ],
  );
}
