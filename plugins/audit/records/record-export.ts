import { Readable } from 'node:stream';
import type { SqlQuery } from '../../../core/plugin-api/index.ts';
import { type AuditRecordRow, type AuditRecordView, type RecordFilters, filterCondition, recordColumns, recordView } from './record-view.ts';

/** Rows fetched per round trip: large enough to stream fast, small enough that memory stays flat. */
const batchSize = 2000;

/**
 * The matching records oldest first, read by keyset pages (`rid > last`), never all at once: the
 * stream pulls the next page only when the client has taken the previous one (backpressure), so an
 * export of millions of records holds one page in memory. Records appended while it runs are left
 * out (it stops at the newest record when it started); the client leaving stops it.
 */
export function exportRecords(query: SqlQuery, filters: RecordFilters, format: 'ndjson' | 'csv', signal?: AbortSignal): Readable {
  async function* lines(): AsyncGenerator<string> {
    const condition = filterCondition(filters);
    const [bound] = await query<{ last: string | null }>('SELECT max(rid) AS last FROM audit_record');
    if (format === 'csv') yield `${csvColumns.join(',')}\r\n`;
    if (bound?.last === null || bound?.last === undefined) return;
    let after = 0;
    for (;;) {
      if (signal?.aborted) return;
      const rows = await query<AuditRecordRow>(
        `SELECT ${recordColumns} FROM audit_record WHERE rid > ? AND rid <= ? AND ${condition.where} ORDER BY rid LIMIT ${batchSize}`,
        [after, bound.last, ...condition.params],
      );
      if (rows.length === 0) return;
      let chunk = '';
      for (const row of rows) chunk += format === 'csv' ? csvLine(recordView(row)) : `${JSON.stringify(recordView(row))}\n`;
      yield chunk;
      after = Number(rows[rows.length - 1].rid);
      if (rows.length < batchSize) return;
    }
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 1 });
}

const csvColumns = [
  'id',
  'seq',
  'occurredAt',
  'tenantId',
  'principalKind',
  'principalId',
  'principalName',
  'action',
  'target',
  'outcome',
  'correlationId',
  'sourceAddress',
  'diff',
  'details',
  'prevHash',
  'hash',
];

function csvLine(record: AuditRecordView): string {
  const values = [
    record.id,
    record.seq,
    record.occurredAt,
    record.tenantId,
    record.principal.kind,
    record.principal.id,
    record.principal.name,
    record.action,
    record.target,
    record.outcome,
    record.correlationId,
    record.sourceAddress,
    JSON.stringify(record.diff),
    record.details === null ? '' : JSON.stringify(record.details),
    record.prevHash,
    record.hash,
  ];
  return `${values.map(csvCell).join(',')}\r\n`;
}

/** RFC 4180 quoting, and a leading quote for text a spreadsheet would run as a formula. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
