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

/**
 * A way to pay invoices. The built-in one is a manual bank transfer; a card provider implements the
 * same shape (creating its provider-side intent and returning its client secret or checkout URL)
 * and confirms payments later through its webhook, as staff confirm transfers.
 */
export interface PaymentProvider {
  readonly id: string;
  createIntent(request: PaymentRequest): Promise<PaymentIntent>;
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
  };
}
