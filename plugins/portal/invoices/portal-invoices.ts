import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, defineList, type EventsService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { inClientScope } from '../access/client-scope.ts';
import type { PaymentProvider } from '../billing/payment-providers.ts';
import { type InvoiceRow, invoiceColumns, invoiceViews } from './invoice-rows.ts';
import { pageWithLines } from './invoices.ts';
import { type PaymentRow, paymentColumns, paymentView } from './payment-rows.ts';

type Services = { database: DatabaseService; events: EventsService; paymentProviders: ReadonlyMap<string, PaymentProvider> };

const notFound = (id: string) => new AppError('not_found', `Invoice ${id} was not found`);
// Drafts are the MSP's own: a client never sees them, not even by id.
const visible = { where: "status <> 'draft'", params: [] };

const paymentList = defineList({
  from: 'portal_payment',
  select: paymentColumns,
  sortable: { createdAt: 'created_at' },
  defaultSort: 'createdAt',
  equals: { status: 'status' },
  view: paymentView,
});

export const listPortalInvoices = ({ database }: Services, req: OperationRequest) =>
  inClientScope(database, req, (tx) => pageWithLines(tx, { ...req.query, sortOrder: 'desc' }, visible));

export const listPortalPayments = ({ database }: Services, req: OperationRequest) =>
  inClientScope(database, req, (tx) => paymentList.page(tx, { ...req.query, sortOrder: 'desc' }));

export function acknowledgePortalInvoice({ database, events }: Services, req: OperationRequest<unknown, { id: string }>) {
  return inClientScope(database, req, async (tx, caller) => {
    const [row] = await tx.query<InvoiceRow>(`SELECT ${invoiceColumns} FROM portal_invoice WHERE id = ? AND status <> 'draft' FOR UPDATE`, [req.params.id]);
    if (!row) throw notFound(req.params.id);
    if (row.acknowledged_at) return (await invoiceViews(tx, [row]))[0];
    const [acknowledged] = await tx.query<InvoiceRow>(
      `UPDATE portal_invoice SET acknowledged_at = now(), acknowledged_by = ?, updated_at = now() WHERE id = ? RETURNING ${invoiceColumns}`,
      [caller.email, row.id],
    );
    await events.publish(tx, {
      topic: 'portal.invoice_acknowledged',
      tenantId: caller.tenantId,
      payload: { invoiceId: row.id, number: row.number, clientId: row.client_id, acknowledgedBy: caller.email },
    });
    return (await invoiceViews(tx, [acknowledged]))[0];
  });
}

/**
 * One pending intent per invoice: the invoice's row lock serializes two requests, and the second
 * finds the first's intent (200) instead of opening another (a unique index backs it).
 */
export function createPortalPaymentIntent(
  { database, events, paymentProviders }: Services,
  req: OperationRequest<{ provider?: string } | undefined, { id: string }>,
) {
  return inClientScope(database, req, async (tx, caller) => {
    const [invoice] = await tx.query<InvoiceRow & { client_name: string }>(
      `SELECT ${invoiceColumns.replace(/(\w+)/g, 'i.$1')}, c.name AS client_name FROM portal_invoice i JOIN portal_client c ON c.id = i.client_id
        WHERE i.id = ? AND i.status <> 'draft' FOR UPDATE OF i`,
      [req.params.id],
    );
    if (!invoice) throw notFound(req.params.id);
    const [open] = await tx.query<PaymentRow>(`SELECT ${paymentColumns} FROM portal_payment WHERE invoice_id = ? AND status = 'pending'`, [invoice.id]);
    if (open) return { status: 200, body: paymentView(open) };
    if (invoice.status !== 'issued') throw new AppError('conflict', `The invoice is ${invoice.status}; there is nothing to pay`);
    const balance = Number(invoice.total_minor) - Number(invoice.paid_minor);
    if (balance <= 0) throw new AppError('conflict', 'The invoice has no balance to pay');
    const providerId = req.body?.provider ?? 'manual';
    const provider = paymentProviders.get(providerId);
    if (!provider) throw new AppError('conflict', `The payment provider ${providerId} is not configured`);
    const paymentId = randomUUID();
    const intent = await provider.createIntent({
      paymentId,
      invoiceNumber: invoice.number,
      amountMinor: balance,
      currency: invoice.currency,
      clientName: invoice.client_name,
    });
    const [payment] = await tx.query<PaymentRow>(
      `INSERT INTO portal_payment (id, tenant_id, client_id, invoice_id, provider, status, amount_minor, currency, reference, instructions)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) RETURNING ${paymentColumns}`,
      [
        paymentId,
        caller.tenantId,
        invoice.client_id,
        invoice.id,
        provider.id,
        balance,
        invoice.currency,
        intent.reference,
        JSON.stringify(intent.instructions),
      ],
    );
    await events.publish(tx, {
      topic: 'portal.payment_intent_created',
      tenantId: caller.tenantId,
      payload: { paymentId, invoiceId: invoice.id, provider: provider.id, amountMinor: balance, currency: invoice.currency },
    });
    return { status: 201, body: paymentView(payment) };
  });
}
