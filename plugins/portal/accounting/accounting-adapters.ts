import { majorUnits } from '../billing/money.ts';

export interface ExportedInvoice {
  id: string;
  number: string;
  clientId: string;
  clientName: string;
  clientRef: string | null;
  currency: string;
  status: string;
  issuedAt: string;
  dueAt: string;
  subtotalMinor: number;
  taxMinor: number;
  totalMinor: number;
  paidMinor: number;
  lines: { description: string; quantity: number; unitMinor: number; taxRateBp: number; netMinor: number; taxMinor: number }[];
}

export interface ExportedPayment {
  id: string;
  invoiceId: string;
  invoiceNumber: string;
  provider: string;
  status: string;
  amountMinor: number;
  currency: string;
  reference: string;
  createdAt: string;
}

export interface AccountingBatch {
  invoices: ExportedInvoice[];
  payments: ExportedPayment[];
}

export interface AccountingFile {
  mediaType: string;
  content: string;
}

/**
 * Delivers invoices and payments to an accounting system. The built-in adapter writes a file to
 * import there; an adapter for an accounting API implements the same shape (posting the batch and
 * returning a receipt as its file).
 */
export interface AccountingAdapter {
  readonly id: string;
  deliver(batch: AccountingBatch, format: 'csv' | 'json'): Promise<AccountingFile>;
}

// Cells a spreadsheet would run as a formula are quoted as text (CSV injection).
const cell = (value: string | number | null) => {
  const text = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

const csvHeader = [
  'record',
  'number',
  'client',
  'clientRef',
  'currency',
  'date',
  'dueDate',
  'status',
  'description',
  'quantity',
  'unitPrice',
  'taxRateBp',
  'net',
  'tax',
  'total',
  'reference',
];

/** One row per invoice line and per payment, amounts as exact decimals of the currency's major unit. */
function toCsv(batch: AccountingBatch): string {
  const rows: (string | number | null)[][] = [csvHeader];
  for (const invoice of batch.invoices) {
    for (const line of invoice.lines) {
      rows.push([
        'invoice_line',
        invoice.number,
        invoice.clientName,
        invoice.clientRef,
        invoice.currency,
        invoice.issuedAt,
        invoice.dueAt,
        invoice.status,
        line.description,
        line.quantity,
        majorUnits(line.unitMinor, invoice.currency),
        line.taxRateBp,
        majorUnits(line.netMinor, invoice.currency),
        majorUnits(line.taxMinor, invoice.currency),
        majorUnits(line.netMinor + line.taxMinor, invoice.currency),
        null,
      ]);
    }
  }
  for (const payment of batch.payments) {
    rows.push([
      'payment',
      payment.invoiceNumber,
      null,
      null,
      payment.currency,
      payment.createdAt,
      null,
      payment.status,
      payment.provider,
      null,
      null,
      null,
      null,
      null,
      majorUnits(payment.amountMinor, payment.currency),
      payment.reference,
    ]);
  }
  return `${rows.map((row) => row.map(cell).join(',')).join('\r\n')}\r\n`;
}

export const fileExportAdapter: AccountingAdapter = {
  id: 'file',
  async deliver(batch, format) {
    if (format === 'json') return { mediaType: 'application/json', content: JSON.stringify(batch) };
    return { mediaType: 'text/csv; charset=utf-8', content: toCsv(batch) };
  },
};
