import type { Tx } from '../../../core/plugin-api/index.ts';
import type { PricedLine, Totals } from '../billing/money.ts';
import { iso, minor } from '../billing/priced.ts';

export interface InvoiceRow {
  id: string;
  client_id: string;
  number: string;
  currency: string;
  status: 'draft' | 'issued' | 'paid' | 'void';
  issued_at: Date;
  due_at: Date;
  subtotal_minor: string;
  tax_minor: string;
  total_minor: string;
  paid_minor: string;
  overdue_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export const invoiceColumns =
  'id, client_id, number, currency, status, issued_at, due_at, subtotal_minor, tax_minor, total_minor, paid_minor, overdue_at, acknowledged_at, acknowledged_by, version, created_at, updated_at';

interface LineRow {
  invoice_id: string;
  description: string;
  quantity: number;
  unit_minor: string;
  tax_rate_bp: number;
  net_minor: string;
  tax_minor: string;
}

/** Invoices with their lines, read in one more query whatever the number of invoices. */
export async function invoiceViews(tx: Tx, rows: InvoiceRow[]) {
  if (rows.length === 0) return [];
  const lines = await tx.query<LineRow>(
    'SELECT invoice_id, description, quantity, unit_minor, tax_rate_bp, net_minor, tax_minor FROM portal_invoice_line WHERE invoice_id = ANY(?::uuid[]) ORDER BY invoice_id, position',
    [rows.map((row) => row.id)],
  );
  return rows.map((row) => ({
    id: row.id,
    clientId: row.client_id,
    number: row.number,
    currency: row.currency,
    status: row.status,
    overdue: row.overdue_at !== null && row.status === 'issued',
    issuedAt: new Date(row.issued_at).toISOString(),
    dueAt: new Date(row.due_at).toISOString(),
    lines: lines
      .filter((line) => line.invoice_id === row.id)
      .map((line) => ({
        description: line.description,
        quantity: line.quantity,
        unitMinor: minor(line.unit_minor),
        taxRateBp: line.tax_rate_bp,
        netMinor: minor(line.net_minor),
        taxMinor: minor(line.tax_minor),
      })),
    subtotalMinor: minor(row.subtotal_minor),
    taxMinor: minor(row.tax_minor),
    totalMinor: minor(row.total_minor),
    paidMinor: minor(row.paid_minor),
    balanceMinor: minor(row.total_minor) - minor(row.paid_minor),
    acknowledgedAt: iso(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by,
    version: row.version,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  }));
}

export type InvoiceView = Awaited<ReturnType<typeof invoiceViews>>[number];

/** Replaces an invoice's lines; they carry the client so the client-scope policy covers them too. */
export async function writeLines(tx: Tx, invoiceId: string, clientId: string, lines: PricedLine[]) {
  await tx.query('DELETE FROM portal_invoice_line WHERE invoice_id = ?', [invoiceId]);
  if (lines.length === 0) return;
  await tx.query(
    `INSERT INTO portal_invoice_line (id, tenant_id, client_id, invoice_id, position, description, quantity, unit_minor, tax_rate_bp, net_minor, tax_minor)
     SELECT gen_random_uuid(), ?, ?, ?, position, description, quantity, unit_minor, tax_rate_bp, net_minor, tax_minor
       FROM unnest(?::int[], ?::text[], ?::int[], ?::bigint[], ?::int[], ?::bigint[], ?::bigint[])
         AS l(position, description, quantity, unit_minor, tax_rate_bp, net_minor, tax_minor)`,
    [
      tx.tenantId,
      clientId,
      invoiceId,
      lines.map((_, index) => index + 1),
      lines.map((line) => line.description),
      lines.map((line) => line.quantity),
      lines.map((line) => line.unitMinor),
      lines.map((line) => line.taxRateBp),
      lines.map((line) => line.netMinor),
      lines.map((line) => line.taxMinor),
    ],
  );
}

export const totalsColumns = (totals: Totals) => [totals.subtotalMinor, totals.taxMinor, totals.totalMinor];
