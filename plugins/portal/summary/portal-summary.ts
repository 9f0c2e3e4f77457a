import type { DatabaseService, OperationRequest, ServiceHealthService, TicketsService } from '../../../core/plugin-api/index.ts';
import { inClientScope } from '../access/client-scope.ts';
import { iso, minor } from '../billing/priced.ts';

type Services = { database: DatabaseService; tickets: TicketsService; serviceHealth: () => ServiceHealthService | undefined };

interface AmountRow {
  currency: string;
  amount: string;
  count: number;
}

const amounts = (rows: AmountRow[]) => rows.map((row) => ({ currency: row.currency, amountMinor: minor(row.amount), count: row.count }));

/** Everything in one transaction of the client's scope: the figures agree with each other. */
export function getPortalSummary({ database, tickets, serviceHealth }: Services, req: OperationRequest) {
  return inClientScope(database, req, async (tx, caller) => {
    const [client] = await tx.query<{ id: string; name: string; status: 'active' | 'inactive' }>('SELECT id, name, status FROM portal_client WHERE id = ?', [
      caller.clientId,
    ]);
    const approvals = await tx.query<Record<string, any>>(
      `SELECT 'quote_decision' AS kind, id, number, title, total_minor AS amount, currency, updated_at AS since, valid_until AS due_at
         FROM portal_quote WHERE status = 'sent' AND (valid_until IS NULL OR valid_until > now())
       UNION ALL
       SELECT 'invoice_acknowledgement', id, number, 'Invoice ' || number, total_minor, currency, issued_at, due_at
         FROM portal_invoice WHERE status = 'issued' AND acknowledged_at IS NULL
       ORDER BY since, id`,
    );
    const outstanding = await tx.query<AmountRow & { overdue: boolean }>(
      `SELECT currency, overdue_at IS NOT NULL AS overdue, sum(total_minor - paid_minor)::bigint AS amount, count(*)::int AS count
         FROM portal_invoice WHERE status = 'issued' GROUP BY currency, overdue_at IS NOT NULL ORDER BY currency`,
    );
    const paid = await tx.query<AmountRow>(
      `SELECT currency, sum(amount_minor)::bigint AS amount, count(*)::int AS count FROM portal_payment
        WHERE status = 'succeeded' AND updated_at >= date_trunc('year', now()) GROUP BY currency ORDER BY currency`,
    );
    const ticketCounts = await tickets.countsForClient(tx, caller.clientId);
    const recent = await tickets.listForClient(tx, caller.clientId, { limit: 5, offset: 0 });
    const health = serviceHealth();
    const figures = health ? await health.forTags(tx, [`client:${caller.clientId}`]) : { services: [], groups: [], reports: [] };

    const byCurrency = (rows: (AmountRow & { overdue: boolean })[]) => {
      const totals = new Map<string, { amount: bigint; count: number }>();
      for (const row of rows) {
        const current = totals.get(row.currency) ?? { amount: 0n, count: 0 };
        totals.set(row.currency, { amount: current.amount + BigInt(row.amount), count: current.count + row.count });
      }
      return [...totals].map(([currency, total]) => ({ currency, amountMinor: Number(total.amount), count: total.count }));
    };
    const overdue = outstanding.filter((row) => row.overdue);
    return {
      client,
      counters: {
        openTickets: ticketCounts.open,
        awaitingClientTickets: ticketCounts.awaitingClient,
        quotesAwaitingDecision: approvals.filter((a) => a.kind === 'quote_decision').length,
        unpaidInvoices: outstanding.reduce((sum, row) => sum + row.count, 0),
        overdueInvoices: overdue.reduce((sum, row) => sum + row.count, 0),
        invoicesToAcknowledge: approvals.filter((a) => a.kind === 'invoice_acknowledgement').length,
      },
      approvals: approvals.map((a) => ({
        kind: a.kind,
        id: a.id,
        number: a.number,
        title: a.title,
        amountMinor: minor(a.amount),
        currency: a.currency,
        since: new Date(a.since).toISOString(),
        dueAt: iso(a.due_at),
      })),
      tickets: { ...ticketCounts, recent: recent.items },
      invoices: { outstanding: byCurrency(outstanding), overdue: amounts(overdue), paidThisYear: amounts(paid) },
      serviceHealth: { available: health !== undefined, ...figures },
    };
  });
}
