import { minor } from '../billing/priced.ts';

export interface PaymentRow {
  id: string;
  client_id: string;
  invoice_id: string;
  provider: string;
  status: 'pending' | 'succeeded' | 'failed' | 'cancelled';
  amount_minor: string;
  currency: string;
  reference: string;
  instructions: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export const paymentColumns = 'id, client_id, invoice_id, provider, status, amount_minor, currency, reference, instructions, created_at, updated_at';

export const paymentView = (row: PaymentRow) => ({
  id: row.id,
  invoiceId: row.invoice_id,
  clientId: row.client_id,
  provider: row.provider,
  status: row.status,
  amountMinor: minor(row.amount_minor),
  currency: row.currency,
  reference: row.reference,
  instructions: row.instructions,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});
