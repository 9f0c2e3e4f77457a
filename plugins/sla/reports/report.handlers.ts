import { AppError, listEnvelope, type OperationHandler, type OperationRequest, parseListQuery } from '../../../core/plugin-api/index.ts';
import { generateDailyReport, type SlaReport, type SlaReportSummary, yesterdayUtc } from './daily-report.ts';
import { csvFilename, reportCsv, reportHtml } from './report-render.ts';
import { type SlaDeps, tenantOf } from '../sla-deps.ts';

type ReportRow = {
  id: string;
  report_date: string;
  trigger: SlaReport['trigger'];
  generated_at: Date;
  summary: SlaReport['summary'];
  rows?: SlaReport['rows'];
  total?: string;
};

// report_date as text: node-postgres would turn a `date` into a Date at local midnight.
const summaryColumns = 'id, report_date::text AS report_date, trigger, generated_at, summary';

const toSummary = (r: ReportRow): SlaReportSummary => ({
  id: r.id,
  reportDate: r.report_date,
  trigger: r.trigger,
  generatedAt: new Date(r.generated_at).toISOString(),
  summary: r.summary,
});

/** Daily SLA reports: generate on demand, list, and fetch one as JSON, CSV or a printable page. */
export function reportHandlers(deps: SlaDeps): Record<string, OperationHandler> {
  return {
    async generateSlaReport(req: OperationRequest<{ date?: string } | undefined>) {
      const tenantId = tenantOf(req);
      const date = req.body?.date ?? yesterdayUtc();
      const report = (await generateDailyReport(deps, { tenantId, date, trigger: 'manual' })) as SlaReport;
      return { status: 201, body: report };
    },

    async listSlaReports(req: OperationRequest) {
      const tenantId = tenantOf(req);
      const list = parseListQuery(req.query, { sortable: { reportDate: 'report_date' }, defaultSort: 'reportDate' });
      // Newest day first; several reports of one day (a manual re-run) newest first among them.
      const rows = await deps.db.forTenant(tenantId).query<ReportRow>(
        `SELECT ${summaryColumns}, count(*) OVER () AS total FROM sla_report
         ORDER BY report_date DESC, generated_at DESC, id LIMIT ? OFFSET ?`,
        [list.limit, list.offset],
      );
      return listEnvelope(rows.map(toSummary), Number(rows[0]?.total ?? 0), { ...list, sortOrder: 'desc' });
    },

    async getSlaReport(req: OperationRequest<unknown, { id: string }, { format?: 'json' | 'csv' | 'html' }>) {
      const tenantId = tenantOf(req);
      const [row] = await deps.db.forTenant(tenantId).query<ReportRow>(`SELECT ${summaryColumns}, rows FROM sla_report WHERE id = ?`, [req.params.id]);
      if (!row) throw new AppError('not_found', `No SLA report ${req.params.id}`);
      const report: SlaReport = { ...toSummary(row), rows: row.rows ?? [] };
      switch (req.query.format ?? 'json') {
        case 'csv':
          return {
            status: 200,
            headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${csvFilename(report)}"` },
            body: reportCsv(report),
          };
        case 'html':
          return {
            status: 200,
            headers: {
              'content-type': 'text/html; charset=utf-8',
              // Served from the API's origin: no script, no external resource, only its own inline style.
              'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
              'x-content-type-options': 'nosniff',
            },
            body: reportHtml(report),
          };
        default:
          return report;
      }
    },
  };
}
