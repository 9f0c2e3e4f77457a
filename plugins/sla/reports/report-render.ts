import type { SlaReport, SlaReportRow } from './daily-report.ts';

/**
 * The downloadable forms of a stored daily report. Pure functions of the report, so the formats
 * are tested without a server.
 */

const csvColumns: (keyof SlaReportRow)[] = [
  'serviceId',
  'service',
  'nodeId',
  'slaGroup',
  'targetValue',
  'actualValue',
  'status',
  'downtimeMinutes',
  'excludedMinutes',
  'incidents',
];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled.
 * Text that a spreadsheet would run as a formula (leading = + - @, tab or CR) gets a leading
 * apostrophe (OWASP "CSV injection"); the numbers here are never negative, so only text can trigger it.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header row, then one row per service; CRLF line ends as RFC 4180 says. */
export function reportCsv(report: SlaReport): string {
  const lines = [['reportDate', ...csvColumns].join(',')];
  for (const row of report.rows) lines.push([report.reportDate, ...csvColumns.map((c) => row[c])].map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const csvFilename = (report: { reportDate: string }) => `sla-report-${report.reportDate}.csv`;

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => entities[c]);
}

const statusLabel: Record<string, string> = { met: 'Met', at_risk: 'At risk', breached: 'Breached' };
const percent = (v: number | null) => (v === null ? '—' : `${v} %`);

/**
 * A small printable page: a summary list and one table row per service, no script, no external
 * resource (the response carries a CSP allowing only its inline style). Status is written out in
 * words, never shown by colour alone; the table has a caption and header cells with scopes.
 */
export function reportHtml(report: SlaReport): string {
  const s = report.summary;
  const e = escapeHtml;
  const title = `Daily SLA report ${report.reportDate}`;
  const summary: [string, string][] = [
    ['Day (UTC)', report.reportDate],
    ['Generated', `${report.generatedAt} (${report.trigger === 'schedule' ? 'scheduled' : 'manual'})`],
    ['Services', String(s.services)],
    ['Met', String(s.met)],
    ['At risk', String(s.atRisk)],
    ['Breached', String(s.breached)],
    ['Average uptime (services with a target)', percent(s.averageUptime)],
    ['Downtime', `${s.downtimeMinutes} min`],
    ['Incidents', String(s.incidents)],
  ];
  const rows = report.rows
    .map(
      (r) => `      <tr class="${e(r.status ?? 'none')}">
        <th scope="row">${e(r.service)}</th>
        <td>${e(r.nodeId)}</td>
        <td>${e(r.slaGroup ?? '—')}</td>
        <td class="num">${e(percent(r.targetValue))}</td>
        <td class="num">${e(percent(r.actualValue))}</td>
        <td>${e(r.status ? statusLabel[r.status] : 'No target')}</td>
        <td class="num">${e(r.downtimeMinutes)}</td>
        <td class="num">${e(r.excludedMinutes)}</td>
        <td class="num">${e(r.incidents)}</td>
      </tr>`,
    )
    .join('\n');
  const body =
    report.rows.length === 0
      ? '    <p>No service existed in this workspace on this day.</p>'
      : `    <table>
      <caption>Availability per service on ${e(report.reportDate)} (UTC)</caption>
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">Node</th>
          <th scope="col">SLA group</th>
          <th scope="col">Target</th>
          <th scope="col">Availability</th>
          <th scope="col">Status</th>
          <th scope="col">Downtime (min)</th>
          <th scope="col">Excluded (min)</th>
          <th scope="col">Incidents</th>
        </tr>
      </thead>
      <tbody>
${rows}
      </tbody>
    </table>`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${e(title)}</title>
    <style>
      body { font: 14px/1.4 system-ui, sans-serif; color: #111; margin: 2rem; }
      h1 { font-size: 1.4rem; }
      dl { display: grid; grid-template-columns: max-content auto; gap: .2rem 1rem; }
      dt { font-weight: 600; }
      dd { margin: 0; }
      table { border-collapse: collapse; width: 100%; margin-top: 1.5rem; }
      caption { text-align: left; font-weight: 600; padding-bottom: .5rem; }
      th, td { border: 1px solid #999; padding: .3rem .5rem; text-align: left; vertical-align: top; }
      thead th { background: #eee; }
      td.num { text-align: right; font-variant-numeric: tabular-nums; }
      tr.breached td:nth-child(6) { font-weight: 700; color: #8b0000; }
      tr.at_risk td:nth-child(6) { font-weight: 700; color: #7a4b00; }
      @media print { body { margin: 0; } thead { display: table-header-group; } tr { break-inside: avoid; } }
      @page { size: A4 landscape; margin: 12mm; }
    </style>
  </head>
  <body>
    <main>
    <h1>${e(title)}</h1>
    <dl>
${summary.map(([k, v]) => `      <dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('\n')}
    </dl>
${body}
    <p><small>Report ${e(report.id)}. Availability = (T − M − D) / (T − M) over the day; DOWN and UNKNOWN count as downtime, exclusion windows are left out.</small></p>
    </main>
  </body>
</html>
`;
}
