import { defineList, type SqlQuery } from '../../../core/plugin-api/index.ts';
import { type AuditRecordRow, type RecordFilters, filterCondition, recordColumns, recordView } from './record-view.ts';

const records = defineList({
  from: 'audit_record',
  select: recordColumns,
  sortable: { occurredAt: 'audit_record.occurred_at', seq: 'seq', action: 'action', principalId: 'principal_id', outcome: 'outcome' },
  defaultSort: 'occurredAt',
  search: ['action', 'target', 'principal_name', 'principal_id'],
  tieBreaker: 'rid',
  nullsLast: true,
  view: (row: AuditRecordRow) => recordView(row),
});

/**
 * One page of the workspace's records (row-level security holds the workspace). The filters are
 * the list's own conditions, echoed in `filters` like the conventions' equality filters.
 */
export async function recordPage(db: { query: SqlQuery }, query: Record<string, unknown> & RecordFilters) {
  const condition = filterCondition(query);
  const page = await records.page(db, { sortOrder: 'desc', ...query }, { where: condition.where, params: condition.params });
  return { ...page, filters: { ...page.filters, ...condition.echoed } };
}
