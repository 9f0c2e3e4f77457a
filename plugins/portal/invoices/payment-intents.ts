import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, type DatabaseService, type EventsService, type OperationRequest, type PluginLogger, type Tx } from '../../../core/plugin-api/index.ts';
import { inClientScope } from '../access/client-scope.ts';
import type { OpenedPayment, PaymentIntent, PaymentProvider } from '../billing/payment-providers.ts';
import { type InvoiceRow, invoiceColumns } from './invoice-rows.ts';
import { type PaymentRow, paymentColumns, paymentView } from './payment-rows.ts';

type Services = { database: DatabaseService; events: EventsService; logger: PluginLogger; paymentProviders: ReadonlyMap<string, PaymentProvider> };
type Request = OperationRequest<{ provider?: string } | undefined, { id: string }>;

/** A reservation older than this lost its node (a provider answers well within it): another request takes it over. */
const staleAfterSeconds = 120;
/** How long a request waits for the intent another request is opening for the same invoice. */
const waitForOtherMs = 15_000;

interface Reservation extends OpenedPayment {
  claim: string;
  invoiceId: string;
  invoiceNumber: string;
  clientName: string;
  provider: PaymentProvider;
}

type Reserved = { answer: { status: number; body: unknown } } | { reservation: Reservation } | { busy: true };

const notFound = (id: string) => new AppError('not_found', `Invoice ${id} was not found`);

// Drafts are the MSP's own: a client never sees them, not even by id.
const lockInvoice = (tx: Tx, id: string) =>
  tx.query<InvoiceRow & { client_name: string }>(
    `SELECT ${invoiceColumns.replace(/(\w+)/g, 'i.$1')}, c.name AS client_name FROM portal_invoice i JOIN portal_client c ON c.id = i.client_id
      WHERE i.id = ? AND i.status <> 'draft' FOR UPDATE OF i`,
    [id],
  );

/** Under the invoice's lock: the pending intent if there is one, else a reservation to open one (or another request's, still busy). */
function reserve({ database, paymentProviders }: Services, req: Request, providerId: string): Promise<Reserved> {
  return inClientScope(database, req, async (tx, caller) => {
    const [invoice] = await lockInvoice(tx, req.params.id);
    if (!invoice) throw notFound(req.params.id);
    const [open] = await tx.query<PaymentRow>(`SELECT ${paymentColumns} FROM portal_payment WHERE invoice_id = ? AND status = 'pending'`, [invoice.id]);
    if (open) return { answer: { status: 200, body: paymentView(open) } };
    if (invoice.status !== 'issued') throw new AppError('conflict', `The invoice is ${invoice.status}; there is nothing to pay`);
    const balance = Number(invoice.total_minor) - Number(invoice.paid_minor);
    if (balance <= 0) throw new AppError('conflict', 'The invoice has no balance to pay');
    const provider = paymentProviders.get(providerId);
    if (!provider) throw new AppError('conflict', `The payment provider ${providerId} is not configured`);
    const [held] = await tx.query<{ payment_id: string; provider: string; amount_minor: string; stale: boolean }>(
      `SELECT payment_id, provider, amount_minor, reserved_at < now() - make_interval(secs => ?) AS stale FROM portal_payment_reservation WHERE invoice_id = ?`,
      [staleAfterSeconds, invoice.id],
    );
    if (held && !held.stale) return { busy: true };
    // A stale reservation's call may have opened the intent at the provider: the same payment id lets
    // the provider answer that one rather than open a second.
    const paymentId = held && held.provider === provider.id && Number(held.amount_minor) === balance ? held.payment_id : randomUUID();
    const claim = randomUUID();
    await tx.query(
      `INSERT INTO portal_payment_reservation (invoice_id, tenant_id, client_id, claim, payment_id, provider, amount_minor) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (invoice_id) DO UPDATE
         SET claim = excluded.claim, payment_id = excluded.payment_id, provider = excluded.provider, amount_minor = excluded.amount_minor, reserved_at = now()`,
      [invoice.id, caller.tenantId, invoice.client_id, claim, paymentId, provider.id, balance],
    );
    const reservation = {
      claim,
      paymentId,
      reference: '',
      amountMinor: balance,
      currency: invoice.currency,
      invoiceId: invoice.id,
      invoiceNumber: invoice.number,
      clientName: invoice.client_name,
      provider,
    };
    return { reservation };
  });
}

/**
 * Under the invoice's lock again: the payment recorded, if the reservation is still this request's
 * and the invoice still asks for the amount the provider was asked for. Otherwise the intent just
 * opened is to be cancelled (unless a takeover recorded it under the same payment id), and the
 * answer is the pending intent if another request recorded one.
 */
function record({ database, events }: Services, req: Request, reserved: Reservation, intent: PaymentIntent) {
  return inClientScope(database, req, async (tx, caller): Promise<{ answer?: { status: number; body: unknown }; cancel: boolean }> => {
    const [invoice] = await lockInvoice(tx, reserved.invoiceId);
    const [mine] = await tx.query('DELETE FROM portal_payment_reservation WHERE invoice_id = ? AND claim = ? RETURNING 1', [
      reserved.invoiceId,
      reserved.claim,
    ]);
    if (!mine) {
      const [other] = await tx.query<PaymentRow>(`SELECT ${paymentColumns} FROM portal_payment WHERE invoice_id = ? AND status = 'pending'`, [
        reserved.invoiceId,
      ]);
      return other ? { answer: { status: 200, body: paymentView(other) }, cancel: other.id !== reserved.paymentId } : { cancel: true };
    }
    const balance = invoice ? Number(invoice.total_minor) - Number(invoice.paid_minor) : 0;
    if (invoice?.status !== 'issued' || balance !== reserved.amountMinor || invoice.currency !== reserved.currency) return { cancel: true };
    const [payment] = await tx.query<PaymentRow>(
      `INSERT INTO portal_payment (id, tenant_id, client_id, invoice_id, provider, status, amount_minor, currency, reference, instructions)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) RETURNING ${paymentColumns}`,
      [
        reserved.paymentId,
        caller.tenantId,
        invoice.client_id,
        invoice.id,
        reserved.provider.id,
        balance,
        invoice.currency,
        intent.reference,
        JSON.stringify(intent.instructions),
      ],
    );
    await events.publish(tx, {
      topic: 'portal.payment_intent_created',
      tenantId: caller.tenantId,
      payload: { paymentId: payment.id, invoiceId: invoice.id, provider: reserved.provider.id, amountMinor: balance, currency: invoice.currency },
    });
    return { answer: { status: 201, body: paymentView(payment) }, cancel: false };
  });
}

const release = ({ database }: Services, req: Request, reserved: Reservation) =>
  inClientScope(database, req, (tx) =>
    tx.query('DELETE FROM portal_payment_reservation WHERE invoice_id = ? AND claim = ?', [reserved.invoiceId, reserved.claim]),
  );

/**
 * One pending intent per invoice, and the provider's call (which may go over the network) made with
 * no invoice row held: reserve under the lock, call the provider, record under the lock. A request
 * that meets another's reservation waits for its intent and answers it (200), as it would once it is
 * recorded; a unique index backs the one pending intent.
 */
export async function createPortalPaymentIntent(services: Services, req: Request) {
  const providerId = req.body?.provider ?? 'manual';
  const waitUntil = Date.now() + waitForOtherMs;
  for (;;) {
    const step = await reserve(services, req, providerId);
    if ('answer' in step) return step.answer;
    if ('busy' in step) {
      if (Date.now() > waitUntil) throw new AppError('conflict', 'A payment intent for this invoice is still being opened; ask again in a moment');
      await sleep(100);
      continue;
    }
    const reserved = step.reservation;
    let intent: PaymentIntent;
    try {
      intent = await reserved.provider.createIntent({
        paymentId: reserved.paymentId,
        invoiceNumber: reserved.invoiceNumber,
        amountMinor: reserved.amountMinor,
        currency: reserved.currency,
        clientName: reserved.clientName,
      });
    } catch (error) {
      await release(services, req, reserved);
      if (error instanceof AppError) throw error;
      // The provider's own failure (a plugin's adapter, a payment service down): the caller's
      // request was fine, so not a 500; what the provider said goes to the log, not the client.
      services.logger.warn({ err: error, provider: reserved.provider.id }, 'payment provider failed to open an intent');
      throw new AppError('unavailable', `The payment provider ${reserved.provider.id} could not open the payment; ask again later`);
    }
    const recorded = await record(services, req, reserved, intent);
    // Staff changed or voided the invoice meanwhile (or a takeover replaced this reservation): the
    // intent just opened can never be paid here.
    if (recorded.cancel) {
      const { paymentId, amountMinor, currency } = reserved;
      await reserved.provider.cancel({ paymentId, amountMinor, currency, reference: intent.reference });
    }
    if (recorded.answer) return recorded.answer;
    throw new AppError('conflict', 'The invoice changed while its payment was being opened; ask again');
  }
}
