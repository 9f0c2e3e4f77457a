import type { Tx } from '../../../core/plugin-api/index.ts';

/** A record as appended; the chain adds its sequence number, time and hashes. */
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
 * Appends one record to its workspace's chain in one statement. The upsert of the chain head takes
 * the head's row lock (held to commit), so writers of one workspace append one after the other;
 * under READ COMMITTED the update sees the newest head, whose last hash becomes this record's
 * previous hash. The hash itself is computed by the database (audit_record_hash), the same
 * function verification uses.
 */
const appendSql = `
WITH r AS (
  SELECT ?::text AS tenant_id, clock_timestamp() AS at, ?::text AS principal_kind, ?::text AS principal_id, ?::text AS principal_name,
         ?::text AS action, ?::text AS target, ?::text AS outcome, ?::text AS correlation_id, ?::text AS source_address,
         ?::jsonb AS diff, ?::jsonb AS details
), head AS (
  INSERT INTO audit_chain_head AS h (tenant_id, seq, prev_hash, last_hash)
  SELECT r.tenant_id, 1, repeat('0', 64),
         audit_record_hash(repeat('0', 64), 1, r.at, r.tenant_id, r.principal_kind, r.principal_id, r.principal_name, r.action, r.target,
                           r.outcome, r.correlation_id, r.source_address, r.diff, r.details)
  FROM r
  ON CONFLICT (tenant_id) DO UPDATE SET
    seq = h.seq + 1,
    prev_hash = h.last_hash,
    last_hash = (SELECT audit_record_hash(h.last_hash, h.seq + 1, r.at, r.tenant_id, r.principal_kind, r.principal_id, r.principal_name,
                                          r.action, r.target, r.outcome, r.correlation_id, r.source_address, r.diff, r.details) FROM r)
  RETURNING seq, prev_hash, last_hash
)
INSERT INTO audit_record (tenant_id, seq, occurred_at, principal_kind, principal_id, principal_name, action, target, outcome,
                          correlation_id, source_address, diff, details, prev_hash, hash)
SELECT r.tenant_id, head.seq, r.at, r.principal_kind, r.principal_id, r.principal_name, r.action, r.target, r.outcome,
       r.correlation_id, r.source_address, r.diff, r.details, head.prev_hash, head.last_hash
FROM r, head`;

export async function appendRecord(tx: Tx, record: NewAuditRecord): Promise<void> {
  await tx.query(appendSql, [
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
  ]);
}
