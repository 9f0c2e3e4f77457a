import { randomUUID } from 'node:crypto';
import t from 'tap';
import sla from '../../sla/plugin.ts';
import { startPortal } from '../portal.testkit.ts';

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const lines = [{ description: 'Monthly service', quantity: 1, unitMinor: 50_000, taxRateBp: 2000 }];

t.test("portal summary: counters, approvals, tickets, invoices and the client's service health from SLA", async (t) => {
  const w = await startPortal(t, { plugins: [sla] });
  const platform = w.kernel.database.platform;
  // SLA: a group and two services tagged for Initech, one for Umbrella, with this month's figures and a daily report.
  const now = new Date();
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const monthKey = monthStart.toISOString().slice(0, 7);
  const group = randomUUID();
  const [mail, crm, theirs] = [randomUUID(), randomUUID(), randomUUID()];
  await platform.query("INSERT INTO sla_group (id, tenant_id, name, target_percent) VALUES (?, 'acme', 'initech-gold', 99.9)", [group]);
  for (const [id, name, tags, groupId] of [
    [mail, 'mail', [`client:${w.initech.id}`], group],
    [crm, 'crm', [`client:${w.initech.id}`, 'web'], null],
    [theirs, 'lab', [`client:${w.umbrella.id}`], null],
  ] as const) {
    await platform.query(
      "INSERT INTO sla_service (id, tenant_id, node_id, name, status, tags, sla_group_id, source) VALUES (?, 'acme', 'node-1', ?, 'OPERATIONAL', ?, ?, 'push')",
      [id, name, tags, groupId],
    );
  }
  for (const [subjectType, subjectId] of [
    ['service', mail],
    ['group', group],
  ]) {
    await platform.query(
      `INSERT INTO sla_snapshot (tenant_id, subject_type, subject_id, period_type, period_key, period_start, period_end, actual_value, target_value,
                                 eligible_seconds, downtime_seconds, excluded_seconds, incident_count, status)
       VALUES ('acme', ?, ?, 'MONTHLY', ?, ?, ?, 99.95, 99.9, 86400, 600, 3600, 1, 'AT_RISK')`,
      [subjectType, subjectId, monthKey, monthStart, monthEnd],
    );
  }
  await platform.query(
    `INSERT INTO sla_report (id, tenant_id, report_date, trigger, summary, rows) VALUES (?, 'acme', current_date - 1, 'schedule', '{}', ?::jsonb)`,
    [
      randomUUID(),
      // Only the fields a client's summary reads of a report row.
      JSON.stringify([
        { serviceId: mail, service: 'mail', incidents: 1, downtimeMinutes: 7.2, status: 'BREACHED', targetValue: 99.9, actualValue: 99.5 },
        { serviceId: theirs, service: 'lab', incidents: 0, downtimeMinutes: 0, status: null, targetValue: null, actualValue: 100 },
      ]),
    ],
  );

  // Portal data: a sent quote, an issued invoice (unacknowledged), an overdue one, a paid one, tickets.
  const quote = await w.write('POST', '/api/v1/quotes', w.acmeBilling, { clientId: w.initech.id, title: 'Upgrade', currency: 'EUR', lines, status: 'sent' });
  await w.write('POST', '/api/v1/quotes', w.acmeBilling, { clientId: w.umbrella.id, title: 'Not theirs', currency: 'EUR', lines, status: 'sent' });
  const invoice = await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(14) });
  const late = await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'USD', lines, dueAt: inDays(-2) });
  await w.kernel.database.platform.query('UPDATE portal_invoice SET overdue_at = now() WHERE id = ?', [late.json.id]);
  await w.write('POST', `/api/v1/portal/invoices/${late.json.id}/acknowledge`, w.initech);
  const paid = await w.write('POST', '/api/v1/invoices', w.acmeBilling, { clientId: w.initech.id, currency: 'EUR', lines, dueAt: inDays(3) });
  await w.write('POST', `/api/v1/portal/invoices/${paid.json.id}/acknowledge`, w.initech);
  const intent = await w.write('POST', `/api/v1/portal/invoices/${paid.json.id}/payment-intent`, w.initech);
  await w.write('POST', `/api/v1/payments/${intent.json.id}/confirm`, w.acmeBilling);
  await w.write('POST', '/api/v1/portal/tickets', w.initech, { title: 'Mail slow' });
  await w.write('POST', '/api/v1/portal/tickets', w.umbrella, { title: 'Not theirs' });

  const summary = await w.read('/api/v1/portal/summary', w.initech);
  t.equal(summary.status, 200, summary.text);
  t.match(summary.json, {
    client: { id: w.initech.id, name: 'Initech' },
    counters: { openTickets: 1, awaitingClientTickets: 0, quotesAwaitingDecision: 1, unpaidInvoices: 2, overdueInvoices: 1, invoicesToAcknowledge: 1 },
    tickets: { open: 1, total: 1, recent: [{ title: 'Mail slow' }] },
    invoices: {
      outstanding: [
        { currency: 'EUR', amountMinor: 60_000, count: 1 },
        { currency: 'USD', amountMinor: 60_000, count: 1 },
      ],
      overdue: [{ currency: 'USD', amountMinor: 60_000, count: 1 }],
      paidThisYear: [{ currency: 'EUR', amountMinor: 60_000, count: 1 }],
    },
  });
  t.same(
    summary.json.approvals.map((a: { kind: string; id: string }) => [a.kind, a.id]),
    [
      ['quote_decision', quote.json.id],
      ['invoice_acknowledgement', invoice.json.id],
    ],
  );
  const health = summary.json.serviceHealth;
  t.equal(health.available, true);
  t.same(
    health.services.map((s: { name: string }) => s.name),
    ['crm', 'mail'],
    "only the client's tagged services",
  );
  // budget: 0.1 % of (month − 1 h excluded), less 600 s of downtime
  const budget = Math.round(0.001 * ((monthEnd.getTime() - monthStart.getTime()) / 1000 - 3600) - 600);
  t.match(health.services[1], {
    name: 'mail',
    slaGroup: 'initech-gold',
    availabilityPercent: 99.95,
    targetPercent: 99.9,
    downtimeSeconds: 600,
    slaStatus: 'AT_RISK',
  });
  t.ok(Math.abs(health.services[1].errorBudgetRemainingSeconds - budget) <= 1, 'error budget left this month');
  t.match(health.services[0], { name: 'crm', availabilityPercent: null, errorBudgetRemainingSeconds: null });
  t.match(health.groups, [{ name: 'initech-gold', targetPercent: 99.9, availabilityPercent: 99.95 }]);
  t.equal(health.reports.length, 1);
  t.same(
    health.reports[0].rows.map((r: { service: string }) => r.service),
    ['mail'],
    "the report's rows of the client's services only",
  );

  const umbrella = await w.read('/api/v1/portal/summary', w.umbrella);
  t.match(umbrella.json, {
    counters: { quotesAwaitingDecision: 1, unpaidInvoices: 0, openTickets: 1 },
    serviceHealth: { services: [{ name: 'lab' }], groups: [] },
  });
  t.equal((await w.read('/api/v1/portal/summary', { headers: {} })).status, 401);
  t.equal((await w.read('/api/v1/portal/summary', w.acmeAdmin)).status, 403);
  t.equal((await w.read('/api/v1/portal/summary', w.acmeViewer)).status, 403);
  t.equal((await w.read('/api/v1/portal/summary?x=%00', w.initech)).status, 400);
  t.equal((await w.read('/api/v1/portal/summary', { headers: { ...w.initech.headers, 'x-workspace-id': 'globex' } })).status, 404);
});

t.test('portal summary without the SLA plugin: service health is marked unavailable', async (t) => {
  const w = await startPortal(t);
  const summary = await w.read('/api/v1/portal/summary', w.initech);
  t.equal(summary.status, 200, summary.text);
  t.match(summary.json, { serviceHealth: { available: false, services: [], groups: [], reports: [] }, counters: { openTickets: 0 } });
});
