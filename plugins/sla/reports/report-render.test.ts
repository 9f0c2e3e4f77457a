import t from 'tap';
import type { SlaReport } from './daily-report.ts';
import { csvField, escapeHtml, reportCsv, reportHtml } from './report-render.ts';

const report: SlaReport = {
  id: '00000000-0000-4000-8000-000000000001',
  reportDate: '2026-03-10',
  trigger: 'manual',
  generatedAt: '2026-03-11T08:00:00.000Z',
  summary: { services: 2, met: 0, atRisk: 0, breached: 1, averageUptime: 97.5, downtimeMinutes: 36, incidents: 1 },
  rows: [
    {
      serviceId: '00000000-0000-4000-8000-00000000000a',
      service: 'api',
      nodeId: 'acme/platform/prod/c1',
      slaGroup: 'payments',
      targetValue: 99.5,
      actualValue: 97.5,
      status: 'breached',
      downtimeMinutes: 36,
      excludedMinutes: 0,
      incidents: 1,
    },
    {
      serviceId: '00000000-0000-4000-8000-00000000000b',
      service: 'docs<script>alert(1)</script>',
      nodeId: '-a,"b"',
      slaGroup: null,
      targetValue: null,
      actualValue: null,
      status: null,
      downtimeMinutes: 0,
      excludedMinutes: 1440,
      incidents: 0,
    },
  ],
};

t.test('CSV fields follow RFC 4180 and defuse spreadsheet formulas', async (t) => {
  t.equal(csvField('plain'), 'plain');
  t.equal(csvField('a,b'), '"a,b"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
  t.equal(csvField('two\nlines'), '"two\nlines"');
  t.equal(csvField(null), '');
  t.equal(csvField(97.5), '97.5');
  t.equal(csvField('=SUM(A1)'), "'=SUM(A1)");
  t.equal(csvField('@cmd'), "'@cmd");
});

t.test('the CSV has a header row and one CRLF-terminated row per service', async (t) => {
  const csv = reportCsv(report);
  const lines = csv.split('\r\n');
  t.equal(lines.at(-1), '', 'ends with CRLF');
  t.same(lines.slice(0, -1), [
    'reportDate,serviceId,service,nodeId,slaGroup,targetValue,actualValue,status,downtimeMinutes,excludedMinutes,incidents',
    '2026-03-10,00000000-0000-4000-8000-00000000000a,api,acme/platform/prod/c1,payments,99.5,97.5,breached,36,0,1',
    `2026-03-10,00000000-0000-4000-8000-00000000000b,docs<script>alert(1)</script>,"'-a,""b""",,,,,0,1440,0`,
  ]);
});

t.test('the HTML page escapes every value and stays accessible', async (t) => {
  t.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const html = reportHtml(report);
  t.match(html, /^<!doctype html>\n<html lang="en">/);
  t.match(html, '<title>Daily SLA report 2026-03-10</title>');
  t.notMatch(html, '<script>', 'no markup from the data');
  t.match(html, 'docs&lt;script&gt;alert(1)&lt;/script&gt;');
  t.match(html, '-a,&quot;b&quot;');
  t.match(html, '<caption>Availability per service on 2026-03-10 (UTC)</caption>');
  t.match(html, '<th scope="col">Availability</th>');
  t.match(html, /<th scope="row">api<\/th>[\s\S]*?<td class="num">97.5 %<\/td>\s*<td>Breached<\/td>/);
  t.match(html, /<th scope="row">docs[^<]*<\/th>[\s\S]*?<td>—<\/td>[\s\S]*?<td>No target<\/td>/, 'no target written out, not left blank');
  t.match(html, /<dt>Average uptime \(services with a target\)<\/dt><dd>97.5 %<\/dd>/);

  const empty = reportHtml({ ...report, rows: [], summary: { ...report.summary, services: 0, breached: 0, averageUptime: null } });
  t.notMatch(empty, '<table>');
  t.match(empty, 'No service existed in this workspace on this day.');
});
