import type { CapturedChanges, MutationObserver, ObservedEvent, ObservedMutation, ObserverTx, Principal } from '../../../core/plugin-api/index.ts';
import { redact } from './redaction.ts';
import { type FieldDiff, firstTarget, rowDiff } from './row-diff.ts';

/**
 * The chain of changes and events that belong to no workspace (a failed login of an unknown
 * account, a license activation). No workspace id can take this form (they start with a letter or
 * digit), so no workspace's handle ever sees it; the CLI verifies it with the others.
 */
export const platformChain = '-platform';

/** Core topics recorded as security events of their own (besides the row changes of their transaction). */
const securityTopic = /^(security\.|secrets\.|license[.:])/;

/** A record as the observer builds it, inserted with the COMMIT; the sealer chains it. */
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
  diff: FieldDiff[];
  details: unknown;
}

const noChanges: CapturedChanges = { changes: [], dropped: 0 };

/**
 * What a transaction's records are made of besides its rows: the request it belonged to (absent
 * outside requests), its own tenant, its events. From the observed mutation, or from the context
 * message a transaction carries in the WAL (context-message.ts).
 */
export interface RecordContext {
  /** The transaction's tenant; null for a platform transaction (whose rows carry their own tenant_id). */
  txTenantId: string | null;
  operationId: string | null;
  path?: string;
  principal: Pick<Principal, 'kind' | 'id' | 'name'> | null;
  requestTenantId?: string;
  correlationId?: string;
  clientAddress?: string;
  secretFields: ReadonlySet<string>;
  events: ObservedEvent[];
}

export function contextOf(tx: ObserverTx, mutation: ObservedMutation): RecordContext {
  return {
    txTenantId: tx.tenantId,
    operationId: mutation.operationId,
    path: mutation.path,
    principal: mutation.principal,
    requestTenantId: mutation.requestTenantId,
    correlationId: mutation.correlationId,
    clientAddress: mutation.clientAddress,
    secretFields: mutation.secretFields,
    events: mutation.events.filter((event) => securityTopic.test(event.topic)),
  };
}

/**
 * The audit plugin's mutation observer: inside the changing transaction, one record per workspace
 * whose rows changed (action = operationId, a field-level diff) and one per security event. The
 * records go to the database with the COMMIT, in its round trip (one INSERT of their values);
 * if they cannot be written, the change rolls back, so nothing changes without its record. The
 * sealer chains them once the transaction is over.
 */
export const recordMutation: MutationObserver = async (tx, mutation) => {
  const captured = mutation.captured ? await mutation.readChanges() : noChanges;
  const records = recordsOf(contextOf(tx, mutation), captured);
  if (records.length > 0) tx.atCommit(insertSql(records.length), records.flatMap(recordValues));
};

/**
 * One INSERT of the records' values, sent with the COMMIT. Cheaper for the database than handing them
 * as one JSON array to audit_append (migration 0003, kept for nodes of the previous version during an
 * upgrade), which took the array apart again in PL/pgSQL: pgbench, a one-row transaction plus the
 * record, 13,100-13,300 against 11,000-12,200 transactions/s. clock_timestamp(), not now(): a record's
 * time is when it was written, so a chain reads in order even past a long transaction.
 */
export function insertSql(count: number): string {
  return `INSERT INTO audit_record (${recordColumns}) VALUES ${Array(count).fill(recordRow).join(', ')}`;
}
const recordColumns =
  'tenant_id, occurred_at, principal_kind, principal_id, principal_name, action, target, outcome, correlation_id, source_address, diff, details';
const recordRow = '(?, clock_timestamp(), ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)';

/** The values of `insertSql`'s placeholders. */
export function recordValues(record: NewAuditRecord): (string | null)[] {
  return [
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
    record.details === null || record.details === undefined ? null : JSON.stringify(record.details),
  ];
}

export function recordsOf(context: RecordContext, { changes, dropped }: CapturedChanges): NewAuditRecord[] {
  const records: NewAuditRecord[] = [];
  // A platform transaction's rows carry their own workspace; a tenant transaction sees only its own.
  const byTenant = new Map<string, FieldDiff[]>();
  for (const change of changes) {
    const tenantId = context.txTenantId ?? rowTenant(change.after) ?? rowTenant(change.before) ?? context.requestTenantId ?? platformChain;
    const list = byTenant.get(tenantId) ?? [];
    list.push(rowDiff(change, context.secretFields));
    byTenant.set(tenantId, list);
  }
  if (changes.length === 0 && dropped > 0) byTenant.set(context.txTenantId ?? context.requestTenantId ?? platformChain, []);
  for (const [tenantId, diffs] of [...byTenant].sort(([a], [b]) => a.localeCompare(b))) {
    records.push({
      ...common(context),
      tenantId,
      action: context.operationId ?? 'system.change',
      target: context.path ?? firstTarget(diffs) ?? null,
      outcome: 'success',
      diff: diffs,
      details: dropped > 0 ? { changesNotRecorded: dropped } : null,
    });
  }
  for (const event of context.events) {
    if (securityTopic.test(event.topic)) records.push(eventRecord(context, event));
  }
  return records;
}

function eventRecord(context: RecordContext, event: ObservedEvent): NewAuditRecord {
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  const base = common(context);
  // A login has no principal yet: the account it is about is the one acting.
  if (base.principalKind === 'anonymous' && typeof payload.userId === 'string') {
    Object.assign(base, { principalKind: 'user', principalId: payload.userId, principalName: (payload.email as string) ?? null });
  }
  // Outside requests the event may name its actor (`plugin:<id>`, `core:<feature>`): a system principal.
  if (base.principalKind === 'system' && typeof payload.actor === 'string') {
    Object.assign(base, { principalId: payload.actor });
  }
  return {
    ...base,
    // A tenant transaction can only write its own chain; a platform one writes the event's.
    tenantId: context.txTenantId ?? event.tenantId ?? platformChain,
    action: event.topic,
    target: eventTarget(payload),
    outcome: /_(failed|denied|refused)$/.test(event.topic) ? 'failure' : 'success',
    diff: [],
    details: redact(payload, context.secretFields),
  };
}

function common(context: RecordContext): Pick<NewAuditRecord, 'principalKind' | 'principalId' | 'principalName' | 'correlationId' | 'sourceAddress'> {
  const principal = context.principal;
  return {
    principalKind: principal ? principal.kind : context.operationId ? 'anonymous' : 'system',
    principalId: principal?.id ?? null,
    principalName: principal?.name ?? null,
    correlationId: context.correlationId ?? null,
    sourceAddress: context.clientAddress ?? null,
  };
}

function eventTarget(payload: Record<string, unknown>): string | null {
  for (const [field, kind] of [
    ['keyId', 'api_key'],
    ['key', 'secret'],
    ['userId', 'user'],
    ['name', 'secret'],
    ['email', 'account'],
    ['licenseId', 'license'],
  ] as const) {
    if (typeof payload[field] === 'string') return `${kind}:${payload[field]}`;
  }
  return null;
}

function rowTenant(row: Record<string, unknown> | null): string | undefined {
  return row && typeof row.tenant_id === 'string' ? row.tenant_id : undefined;
}
