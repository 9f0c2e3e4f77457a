import type { DatabaseService, EventsService } from '../../../core/plugin-api/index.ts';
import { majorUnits } from '../billing/money.ts';

/**
 * The daily overdue sweep across workspaces (the platform handle): every issued invoice past its
 * due date is marked once and `invoice.overdue` is published with the change, so a retry or a second
 * run never announces the same invoice twice.
 */
export async function markOverdueInvoices(deps: { database: DatabaseService; events: EventsService }): Promise<number> {
  return deps.database.platform.transaction(async (tx) => {
    const overdue = await tx.query<{ id: string; tenant_id: string; client_id: string; number: string; due_at: Date; currency: string; balance: string }>(
      `UPDATE portal_invoice SET overdue_at = now()
        WHERE status = 'issued' AND overdue_at IS NULL AND due_at < now()
        RETURNING id, tenant_id, client_id, number, due_at, currency, (total_minor - paid_minor) AS balance`,
    );
    if (overdue.length === 0) return 0;
    await deps.events.publishMany(
      tx,
      overdue.map((invoice) => ({
        topic: 'invoice.overdue',
        tenantId: invoice.tenant_id,
        payload: {
          invoiceId: invoice.id,
          number: invoice.number,
          clientId: invoice.client_id,
          dueAt: new Date(invoice.due_at).toISOString(),
          balanceMinor: Number(invoice.balance),
          balance: majorUnits(Number(invoice.balance), invoice.currency),
          currency: invoice.currency,
        },
      })),
    );
    return overdue.length;
  });
}
