import { majorUnits } from './money.ts';

/** What a provider is asked to collect. */
export interface PaymentRequest {
  paymentId: string;
  invoiceNumber: string;
  amountMinor: number;
  currency: string;
  clientName: string;
}

/** What the payer does next: a provider's reference and instructions (bank details, or a card provider's checkout URL or client secret). */
export interface PaymentIntent {
  reference: string;
  instructions: Record<string, unknown>;
}

/** A payment the provider opened, as recorded. */
export interface OpenedPayment {
  paymentId: string;
  reference: string;
  amountMinor: number;
  currency: string;
}

/** Whether the provider holds the money: only `succeeded` credits the invoice. */
export interface PaymentConfirmation {
  status: 'succeeded' | 'pending' | 'failed';
  reason?: string;
}

/**
 * A way to pay invoices. The built-in one is a manual bank transfer; a card provider implements the
 * same shape (creating its provider-side intent and returning its client secret or checkout URL,
 * checking or capturing it on confirm, voiding it on cancel).
 *
 * Every call may go over the network, so none is made inside a transaction that holds an invoice's
 * row; each is keyed by `paymentId`, so a provider can make a repeated call answer as the first did.
 */
export interface PaymentProvider {
  readonly id: string;
  createIntent(request: PaymentRequest): Promise<PaymentIntent>;
  /** Asked before a pending payment is credited (staff confirm a transfer, or a card webhook reports it). */
  confirm(payment: OpenedPayment): Promise<PaymentConfirmation>;
  /** The intent will never be paid here (its invoice was voided or changed while it was opened). */
  cancel(payment: OpenedPayment): Promise<void>;
}

/** Bank transfer: the payer is told where to send the exact amount and which reference to quote. */
export function manualBankTransfer(payTo: string): PaymentProvider {
  return {
    id: 'manual',
    async createIntent(request) {
      const reference = `${request.invoiceNumber}-${request.paymentId.slice(0, 8).toUpperCase()}`;
      return {
        reference,
        instructions: {
          method: 'bank_transfer',
          payTo,
          reference,
          amount: majorUnits(request.amountMinor, request.currency),
          amountMinor: request.amountMinor,
          currency: request.currency,
        },
      };
    },
    // The money arrives outside any system: staff who confirm have seen it on the account statement.
    async confirm() {
      return { status: 'succeeded' };
    },
    // Nothing was opened outside: the payer was only told where to send money.
    async cancel() {},
  };
}
