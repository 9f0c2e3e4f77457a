import { randomUUID } from 'node:crypto';
import { AppError, type ConfigService, type DatabaseService, type JobsService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { iso, minor } from '../billing/priced.ts';
import type { AccountingAdapter, AccountingBatch } from './accounting-adapters.ts';

interface SyncRow {
  id: string;
  adapter: string;
  format: 'csv' | 'json';
  since: Date | null;
  state: 'queued' | 'running' | 'completed' | 'failed';
  queued_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  retry_count: number;
  error_code: string | null;
  error_message: string | null;
  invoices: number;
  payments: number;
  created_by: string;
}

const columns =
  'id, adapter, format, since, state, queued_at, started_at, completed_at, retry_count, error_code, error_message, invoices, payments, created_by';

export interface AccountingServices {
  database: DatabaseService;
  jobs: JobsService;
  config: ConfigService;
  adapters: ReadonlyMap<string, AccountingAdapter>;
}

type Request = OperationRequest<any, any, any> & { tenantId: string };

const view = (row: SyncRow, config: ConfigService) => ({
  id: row.id,
  adapter: row.adapter,
  format: row.format,
  since: iso(row.since),
  state: row.state,
  queuedAt: new Date(row.queued_at).toISOString(),
  startedAt: iso(row.started_at),
  completedAt: iso(row.completed_at),
  retryCount: row.retry_count,
  errorCode: row.error_code,
  errorMessage: row.error_message,
  invoices: row.invoices,
  payments: row.payments,
  artifactUrl: row.state === 'completed' ? config.absoluteUrl(`/api/v1/integrations/accounting/sync/${row.id}/file`) : null,
  createdBy: row.created_by,
});

export async function syncAccounting({ database, jobs, config }: AccountingServices, req: Request) {
  const body = (req.body ?? {}) as { adapter?: string; format?: 'csv' | 'json'; since?: string };
  const [row] = await database
    .forTenant(req.tenantId)
    .query<SyncRow>(`INSERT INTO portal_accounting_sync (id, tenant_id, adapter, format, since, created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${columns}`, [
      randomUUID(),
      req.tenantId,
      body.adapter ?? 'file',
      body.format ?? 'csv',
      body.since ?? null,
      req.principal?.name ?? req.principal?.id ?? 'unknown',
    ]);
  await jobs.send('portal.accounting_sync', { tenantId: req.tenantId, syncId: row.id });
  return { status: 202, body: view(row, config) };
}

async function load(database: DatabaseService, tenantId: string, id: string) {
  const [row] = await database
    .forTenant(tenantId)
    .query<SyncRow & { media_type: string | null }>(`SELECT ${columns}, media_type FROM portal_accounting_sync WHERE id = ?`, [id]);
  if (!row) throw new AppError('not_found', `Accounting sync ${id} was not found`);
  return row;
}

export const getAccountingSync = async ({ database, config }: AccountingServices, req: Request) =>
  view(await load(database, req.tenantId, req.params.id), config);

export async function getAccountingSyncFile({ database }: AccountingServices, req: Request) {
  const row = await load(database, req.tenantId, req.params.id);
  if (row.state !== 'completed') throw new AppError('conflict', `The sync is ${row.state}; its file exists once it completed`);
  const [file] = await database.forTenant(req.tenantId).query<{ content: string }>('SELECT content FROM portal_accounting_sync WHERE id = ?', [row.id]);
  return {
    status: 200,
    headers: {
      'content-type': row.media_type ?? 'application/octet-stream',
      'content-disposition': `attachment; filename="accounting-${row.id}.${row.format}"`,
    },
    body: file.content,
  };
}

/** Reads the batch in the workspace's transaction (row-level security holds the tenant). */
async function readBatch(database: DatabaseService, tenantId: string, since: Date | null): Promise<AccountingBatch> {
  const db = database.forTenant(tenantId);
  const invoices = await db.query<Record<string, any>>(
    `SELECT i.id, i.number, i.client_id, c.name AS client_name, c.external_ref, i.currency, i.status, i.issued_at, i.due_at,
            i.subtotal_minor, i.tax_minor, i.total_minor, i.paid_minor,
            coalesce((SELECT jsonb_agg(jsonb_build_object('description', l.description, 'quantity', l.quantity, 'unitMinor', l.unit_minor,
                        'taxRateBp', l.tax_rate_bp, 'netMinor', l.net_minor, 'taxMinor', l.tax_minor) ORDER BY l.position)
                        FROM portal_invoice_line l WHERE l.invoice_id = i.id), '[]') AS lines
       FROM portal_invoice i JOIN portal_client c ON c.id = i.client_id
      WHERE i.status <> 'draft' AND (?::timestamptz IS NULL OR i.updated_at >= ?::timestamptz)
      ORDER BY i.issued_at, i.number`,
    [since, since],
  );
  const payments = await db.query<Record<string, any>>(
    `SELECT p.id, p.invoice_id, i.number, p.provider, p.status, p.amount_minor, p.currency, p.reference, p.created_at
       FROM portal_payment p JOIN portal_invoice i ON i.id = p.invoice_id
      WHERE (?::timestamptz IS NULL OR p.updated_at >= ?::timestamptz) ORDER BY p.created_at, p.id`,
    [since, since],
  );
  return {
    invoices: invoices.map((i) => ({
      id: i.id,
      number: i.number,
      clientId: i.client_id,
      clientName: i.client_name,
      clientRef: i.external_ref,
      currency: i.currency,
      status: i.status,
      issuedAt: new Date(i.issued_at).toISOString(),
      dueAt: new Date(i.due_at).toISOString(),
      subtotalMinor: minor(i.subtotal_minor),
      taxMinor: minor(i.tax_minor),
      totalMinor: minor(i.total_minor),
      paidMinor: minor(i.paid_minor),
      lines: (i.lines as any[]).map((l) => ({ ...l, unitMinor: minor(l.unitMinor), netMinor: minor(l.netMinor), taxMinor: minor(l.taxMinor) })),
    })),
    payments: payments.map((p) => ({
      id: p.id,
      invoiceId: p.invoice_id,
      invoiceNumber: p.number,
      provider: p.provider,
      status: p.status,
      amountMinor: minor(p.amount_minor),
      currency: p.currency,
      reference: p.reference,
      createdAt: new Date(p.created_at).toISOString(),
    })),
  };
}

/** Attempts of a sync beyond the first (pg-boss retries the job); the manifest declares the queue with it. */
export const accountingRetryLimit = 2;

const failure = (error: unknown) => ({
  code: (error as { code?: string })?.code ?? 'export_failed',
  message: String((error as Error)?.message ?? error).slice(0, 1000),
});

/**
 * The job: running → the adapter delivers → completed with its file. An attempt that fails goes back
 * to `queued` with its error and is rethrown, so pg-boss runs it again; the last attempt's failure
 * is the sync's (`failed`, with its errorCode and errorMessage). A missing adapter fails at once: retrying would not bring it back.
 */
export async function runAccountingSync({ database, adapters }: AccountingServices, payload: { tenantId: string; syncId: string }, attempt: number) {
  const db = database.forTenant(payload.tenantId);
  const [sync] = await db.query<SyncRow>(
    `UPDATE portal_accounting_sync SET state = 'running', started_at = now(), retry_count = ?, error_code = NULL, error_message = NULL
      WHERE id = ? AND state IN ('queued', 'running') RETURNING ${columns}`,
    [attempt, payload.syncId],
  );
  if (!sync) return;
  const fail = (error: { code: string; message: string }) =>
    db.query(`UPDATE portal_accounting_sync SET state = 'failed', completed_at = now(), error_code = ?, error_message = ? WHERE id = ?`, [
      error.code,
      error.message,
      sync.id,
    ]);
  const adapter = adapters.get(sync.adapter);
  if (!adapter) {
    await fail({ code: 'adapter_unavailable', message: `The accounting adapter ${sync.adapter} is not available` });
    return;
  }
  try {
    const batch = await readBatch(database, payload.tenantId, sync.since);
    const file = await adapter.deliver(batch, sync.format);
    await db.query(
      `UPDATE portal_accounting_sync SET state = 'completed', completed_at = now(), invoices = ?, payments = ?, media_type = ?, content = ? WHERE id = ?`,
      [batch.invoices.length, batch.payments.length, file.mediaType, file.content, sync.id],
    );
  } catch (error) {
    const { code, message } = failure(error);
    if (attempt >= accountingRetryLimit) await fail({ code, message });
    else await db.query(`UPDATE portal_accounting_sync SET state = 'queued', error_code = ?, error_message = ? WHERE id = ?`, [code, message, sync.id]);
    // Rethrown either way: pg-boss retries it, or records the job's failure as the operator's runtime view shows it.
    throw error;
  }
}
