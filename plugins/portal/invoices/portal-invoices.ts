import { AppError, type DatabaseService, defineList, type EventsService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { inClientScope } from '../access/client-scope.ts';
import type { PaymentProvider } from '../billing/payment-providers.ts';
import { type InvoiceRow, invoiceColumns, invoiceViews } from './invoice-rows.ts';
import { pageWithLines } from './invoices.ts';
import { paymentColumns, paymentView } from './payment-rows.ts';

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
