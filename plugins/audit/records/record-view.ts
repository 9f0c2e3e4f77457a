/** An audit record as the database returns it (times already RFC 3339 in UTC) and as clients see it. */
export interface AuditRecordRow {
  id: string;
  rid: string;
  seq: string | null;
  occurred_at: string;
  tenant_id: string;
  principal_kind: string;
  principal_id: string | null;
  principal_name: string | null;
  action: string;
  target: string | null;
  outcome: string;
  correlation_id: string | null;
  source_address: string | null;
  diff: unknown[];
  details: unknown;
  prev_hash: string | null;
  hash: string | null;
}

export const recordColumns = `id, rid, seq, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at, tenant_id,
  principal_kind, principal_id, principal_name, action, target, outcome, correlation_id, source_address, diff, details, prev_hash, hash`;

export function recordView(row: AuditRecordRow) {
  return {
    id: row.id,
    seq: row.seq === null ? null : Number(row.seq),
    occurredAt: row.occurred_at,
    tenantId: row.tenant_id,
    principal: { kind: row.principal_kind, id: row.principal_id, name: row.principal_name },
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    correlationId: row.correlation_id,
    sourceAddress: row.source_address,
    diff: row.diff,
    details: row.details ?? null,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export type AuditRecordView = ReturnType<typeof recordView>;

/** The filters of the list, the export and GraphQL: time range, principal, action, target, outcome. */
export interface RecordFilters {
  from?: string;
  to?: string;
  principalKind?: string;
  principalId?: string;
  action?: string;
  target?: string;
  outcome?: string;
}

/** The filters as a condition with bound values (column names are ours, never the caller's). */
export function filterCondition(filters: RecordFilters): { where: string; params: unknown[]; echoed: Record<string, unknown> } {
  const where: string[] = [];
  const params: unknown[] = [];
  const echoed: Record<string, unknown> = {};
  const add = (key: keyof RecordFilters, sql: string, value: unknown) => {
    if (filters[key] === undefined || filters[key] === null) return;
    where.push(sql);
    params.push(value);
    echoed[key] = filters[key];
  };
  add('from', 'occurred_at >= ?::timestamptz', filters.from);
  add('to', 'occurred_at < ?::timestamptz', filters.to);
  add('principalKind', 'principal_kind = ?', filters.principalKind);
  add('principalId', 'principal_id = ?', filters.principalId);
  add('action', 'action = ?', filters.action);
  add('target', 'starts_with(target, ?)', filters.target);
  add('outcome', 'outcome = ?', filters.outcome);
  return { where: where.length > 0 ? where.join(' AND ') : 'true', params, echoed };
}
