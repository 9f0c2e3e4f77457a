import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, defineList, type EventsService, type OperationRequest, type Tx } from '../../../core/plugin-api/index.ts';
import type { LineInput, PricedLine } from '../billing/money.ts';
import type { OpenedPayment, PaymentProvider } from '../billing/payment-providers.ts';
import { iso, priced } from '../billing/priced.ts';
import { type InvoiceRow, invoiceColumns, invoiceViews, totalsColumns, writeLines } from './invoice-rows.ts';
import { type PaymentRow, paymentColumns, paymentView } from './payment-rows.ts';

type Services = { database: DatabaseService; events: EventsService; paymentProviders: ReadonlyMap<string, PaymentProvider> };
type Request = OperationRequest<any, any, any> & { tenantId: string };

const opened = (row: PaymentRow): OpenedPayment => ({
  paymentId: row.id,
  reference: row.reference,
  amountMinor: Number(row.amount_minor),
  currency: row.currency,
});

const notFound = (id: string) => new AppError('not_found', `Invoice ${id} was not found`);
const duplicateNumber = (error: unknown): never => {
  if ((error as { code?: string }).code === '23505') throw new AppError('conflict', 'An invoice with this number already exists');
  throw error;
};

// Pages list only ids and the window count; invoiceViews reads the rows' lines in one go.
const invoiceList = defineList({
  from: 'portal_invoice',
  select: invoiceColumns,
  sortable: { issuedAt: 'issued_at', dueAt: 'due_at', number: 'number', totalMinor: 'total_minor' },
  defaultSort: 'issuedAt',
  equals: { clientId: 'client_id', status: 'status' },
  search: ['number'],
  view: (row: InvoiceRow) => row,
});

export async function pageWithLines(tx: Tx, query: Record<string, unknown>, scope?: { where: string; params: unknown[] }) {
  const page = await invoiceList.page(tx, query, scope);
  return { ...page, data: await invoiceViews(tx, page.data) };
}

export const listInvoices = ({ database }: Services, req: Request) => database.forTenant(req.tenantId).transaction((tx) => pageWithLines(tx, req.query));

async function load(tx: Tx, id: string, lock = false) {
  const [row] = await tx.query<InvoiceRow>(`SELECT ${invoiceColumns} FROM portal_invoice WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
  if (!row) throw notFound(id);
  return row;
}

export const getInvoice = ({ database }: Services, req: Request) =>
  database.forTenant(req.tenantId).transaction(async (tx) => (await invoiceViews(tx, [await load(tx, req.params.id)]))[0]);

export async function createInvoice({ database }: Services, req: Request) {
  const body = req.body as { clientId: string; number?: string; currency: string; lines: LineInput[]; status?: string; issuedAt?: string; dueAt: string };
  const totals = priced(body.currency, body.lines);
  const id = randomUUID();
  const view = await database.forTenant(req.tenantId).transaction(async (tx) => {
    const [client] = await tx.query('SELECT 1 FROM portal_client WHERE id = ?', [body.clientId]);
    if (!client) throw new AppError('not_found', `Client ${body.clientId} was not found`);
    const [row] = await tx
      .query<InvoiceRow>(
        `INSERT INTO portal_invoice (id, tenant_id, client_id, number, currency, status, issued_at, due_at, subtotal_minor, tax_minor, total_minor)
         VALUES (?, ?, ?, ?, ?, ?, coalesce(?::timestamptz, now()), ?, ?, ?, ?) RETURNING ${invoiceColumns}`,
        [
          id,
          req.tenantId,
          body.clientId,
          body.number ?? `INV-${id.slice(0, 8).toUpperCase()}`,
          body.currency,
          body.status ?? 'issued',
          body.issuedAt ?? null,
          body.dueAt,
          ...totalsColumns(totals),
        ],
      )
      .catch(duplicateNumber);
    await writeLines(tx, row.id, row.client_id, totals.lines);
    return (await invoiceViews(tx, [row]))[0];
  });
  return { status: 201, body: view };
}

interface InvoiceFields {
  currency: string;
  lines: (LineInput | PricedLine)[];
  status: 'draft' | 'issued' | 'void';
  dueAt: string;
}

async function write(tx: Tx, id: string, version: number, merge: (current: InvoiceFields) => InvoiceFields) {
  const current = await load(tx, id, true);
  if (current.version !== version)
    throw new AppError('conflict', `The invoice changed since version ${version}`, { details: { currentVersion: current.version } });
  if (current.status === 'paid' || Number(current.paid_minor) > 0) throw new AppError('conflict', 'A payment was made on this invoice; it no longer changes');
  const [existing] = await invoiceViews(tx, [current]);
  if (current.status === 'void') throw new AppError('conflict', 'The invoice is void');
  const fields = merge({ currency: current.currency, lines: existing.lines, status: current.status, dueAt: iso(current.due_at) as string });
  const totals = priced(fields.currency, fields.lines);
  const [row] = await tx.query<InvoiceRow>(
    `UPDATE portal_invoice SET currency = ?, status = ?, due_at = ?, subtotal_minor = ?, tax_minor = ?, total_minor = ?,
            overdue_at = CASE WHEN ?::timestamptz > now() THEN NULL ELSE overdue_at END, version = version + 1, updated_at = now()
      WHERE id = ? RETURNING ${invoiceColumns}`,
    [fields.currency, fields.status, fields.dueAt, ...totalsColumns(totals), fields.dueAt, id],
  );
  // A void invoice's open intents can no longer be paid.
  const cancelled =
    fields.status === 'void'
      ? await tx.query<PaymentRow>(
          `UPDATE portal_payment SET status = 'cancelled', updated_at = now() WHERE invoice_id = ? AND status = 'pending' RETURNING ${paymentColumns}`,
          [id],
        )
      : [];
  await writeLines(tx, id, row.client_id, totals.lines);
  return { view: (await invoiceViews(tx, [row]))[0], cancelled };
}

/**
 * The invoice written, then (committed, no row held) its cancelled intents told to their providers.
 * Best effort: the payment is cancelled here whatever the provider answers, and a provider-side
 * intent left open can no longer be credited to the invoice.
 */
async function writeAndCancel({ database, paymentProviders }: Services, req: Request, merge: (current: InvoiceFields) => InvoiceFields) {
  const { version } = req.body;
  const { view, cancelled } = await database.forTenant(req.tenantId).transaction((tx) => write(tx, req.params.id, version, merge));
  await Promise.allSettled(cancelled.map((payment) => paymentProviders.get(payment.provider)?.cancel(opened(payment))));
  return view;
}

export function replaceInvoice(services: Services, req: Request) {
  const { version: _, ...body } = req.body;
  return writeAndCancel(services, req, (current) => ({ status: current.status, ...body }));
}

export function updateInvoice(services: Services, req: Request) {
  const { version: _, ...body } = req.body;
  return writeAndCancel(services, req, (current) => ({ ...current, ...body }));
}

export async function deleteInvoice({ database }: Services, req: Request) {
  await database.forTenant(req.tenantId).transaction(async (tx) => {
    const row = await load(tx, req.params.id, true);
    // What a client was sent stays on record (accounting): it is voided, not deleted.
    if (row.status !== 'draft') throw new AppError('conflict', 'Only a draft invoice is deleted; void an issued one');
    await tx.query('DELETE FROM portal_invoice WHERE id = ?', [row.id]);
  });
  return { status: 204 };
}

const paymentList = defineList({
  from: 'portal_payment',
  select: paymentColumns,
  sortable: { createdAt: 'created_at', amountMinor: 'amount_minor' },
  defaultSort: 'createdAt',
  equals: { status: 'status', clientId: 'client_id', invoiceId: 'invoice_id' },
  search: ['reference'],
  view: paymentView,
});

export const listPayments = ({ database }: Services, req: Request) => paymentList.page(database.forTenant(req.tenantId), req.query);

/**
 * A pending payment arrived: its provider is asked first (with no row held: the call may go over the
 * network), then its amount is credited under the locks, and the invoice is paid once nothing is left.
 */
export async function confirmPayment({ database, events, paymentProviders }: Services, req: Request) {
  const [seen] = await database.forTenant(req.tenantId).query<PaymentRow>(`SELECT ${paymentColumns} FROM portal_payment WHERE id = ?`, [req.params.id]);
  if (!seen) throw new AppError('not_found', `Payment ${req.params.id} was not found`);
  if (seen.status !== 'pending') throw new AppError('conflict', `The payment is ${seen.status}, not pending`);
  const provider = paymentProviders.get(seen.provider);
  if (!provider) throw new AppError('conflict', `The payment provider ${seen.provider} is not configured`);
  const confirmation = await provider.confirm(opened(seen));
  if (confirmation.status !== 'succeeded')
    throw new AppError('conflict', `The provider reports the payment ${confirmation.status}${confirmation.reason ? `: ${confirmation.reason}` : ''}`);
  return database.forTenant(req.tenantId).transaction(async (tx) => {
    const [payment] = await tx.query<PaymentRow>(`SELECT ${paymentColumns} FROM portal_payment WHERE id = ? FOR UPDATE`, [req.params.id]);
    if (!payment) throw new AppError('not_found', `Payment ${req.params.id} was not found`);
    // Confirmed (or cancelled with its invoice) by another request while the provider answered.
    if (payment.status !== 'pending') throw new AppError('conflict', `The payment is ${payment.status}, not pending`);
    const [confirmed] = await tx.query<PaymentRow>(
      `UPDATE portal_payment SET status = 'succeeded', updated_at = now() WHERE id = ? RETURNING ${paymentColumns}`,
      [payment.id],
    );
    const [invoice] = await tx.query<{ number: string; status: string }>(
      `UPDATE portal_invoice SET paid_minor = paid_minor + ?, status = CASE WHEN paid_minor + ? >= total_minor THEN 'paid' ELSE status END, updated_at = now()
        WHERE id = ? RETURNING number, status`,
      [payment.amount_minor, payment.amount_minor, payment.invoice_id],
    );
    await events.publish(tx, {
      topic: 'portal.payment_succeeded',
      tenantId: req.tenantId,
      payload: {
        paymentId: payment.id,
        invoiceId: payment.invoice_id,
        number: invoice.number,
        invoiceStatus: invoice.status,
        amountMinor: Number(payment.amount_minor),
        currency: payment.currency,
      },
    });
    return paymentView(confirmed);
  });
}
