import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, defineList, type EventsService, type OperationRequest, type Tx } from '../../../core/plugin-api/index.ts';
import { inClientScope } from '../access/client-scope.ts';
import { iso, minor, priced } from '../billing/priced.ts';
import type { PricedLine } from '../billing/money.ts';

interface QuoteRow {
  id: string;
  client_id: string;
  number: string;
  title: string;
  currency: string;
  lines: PricedLine[];
  subtotal_minor: string;
  tax_minor: string;
  total_minor: string;
  status: 'draft' | 'sent' | 'accepted' | 'declined';
  valid_until: Date | null;
  decision_reason: string | null;
  decided_at: Date | null;
  decided_by: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface QuoteFields {
  title: string;
  currency: string;
  lines: PricedLine[];
  status: 'draft' | 'sent';
  validUntil: string | null;
}

const columns =
  'id, client_id, number, title, currency, lines, subtotal_minor, tax_minor, total_minor, status, valid_until, decision_reason, decided_at, decided_by, version, created_at, updated_at';

export const quoteView = (row: QuoteRow) => ({
  id: row.id,
  clientId: row.client_id,
  number: row.number,
  title: row.title,
  currency: row.currency,
  lines: row.lines,
  subtotalMinor: minor(row.subtotal_minor),
  taxMinor: minor(row.tax_minor),
  totalMinor: minor(row.total_minor),
  status: row.status,
  validUntil: iso(row.valid_until),
  decisionReason: row.decision_reason,
  decidedAt: iso(row.decided_at),
  decidedBy: row.decided_by,
  version: row.version,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

const quoteList = defineList({
  from: 'portal_quote',
  select: columns,
  sortable: { createdAt: 'created_at', number: 'number', totalMinor: 'total_minor' },
  defaultSort: 'createdAt',
  equals: { clientId: 'client_id', status: 'status' },
  search: ['number', 'title'],
  view: quoteView,
});

// Clients never see drafts; newest first.
const portalQuoteList = defineList({
  from: 'portal_quote',
  select: columns,
  sortable: { createdAt: 'created_at' },
  defaultSort: 'createdAt',
  equals: { status: 'status' },
  view: quoteView,
});

type Services = { database: DatabaseService; events: EventsService };
type Request = OperationRequest<any, any, any> & { tenantId: string };

const notFound = (id: string) => new AppError('not_found', `Quote ${id} was not found`);
const duplicateNumber = (error: unknown): never => {
  if ((error as { code?: string }).code === '23505') throw new AppError('conflict', 'A quote with this number already exists');
  throw error;
};

export const listQuotes = ({ database }: Services, req: Request) => quoteList.page(database.forTenant(req.tenantId), req.query);

export async function getQuote({ database }: Services, req: Request) {
  const [row] = await database.forTenant(req.tenantId).query<QuoteRow>(`SELECT ${columns} FROM portal_quote WHERE id = ?`, [req.params.id]);
  if (!row) throw notFound(req.params.id);
  return quoteView(row);
}

export async function createQuote({ database }: Services, req: Request) {
  const body = req.body;
  const totals = priced(body.currency, body.lines);
  const id = randomUUID();
  const row = await database.forTenant(req.tenantId).transaction(async (tx) => {
    const [client] = await tx.query('SELECT 1 FROM portal_client WHERE id = ?', [body.clientId]);
    if (!client) throw new AppError('not_found', `Client ${body.clientId} was not found`);
    const [created] = await tx
      .query<QuoteRow>(
        `INSERT INTO portal_quote (id, tenant_id, client_id, number, title, currency, lines, subtotal_minor, tax_minor, total_minor, status, valid_until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${columns}`,
        [
          id,
          req.tenantId,
          body.clientId,
          body.number ?? `Q-${id.slice(0, 8).toUpperCase()}`,
          body.title,
          body.currency,
          JSON.stringify(totals.lines),
          totals.subtotalMinor,
          totals.taxMinor,
          totals.totalMinor,
          body.status ?? 'draft',
          body.validUntil ?? null,
        ],
      )
      .catch(duplicateNumber);
    return created;
  });
  return { status: 201, body: quoteView(row) };
}

async function write(tx: Tx, id: string, version: number, merge: (current: QuoteFields) => QuoteFields) {
  const [current] = await tx.query<QuoteRow>(`SELECT ${columns} FROM portal_quote WHERE id = ? FOR UPDATE`, [id]);
  if (!current) throw notFound(id);
  if (current.version !== version)
    throw new AppError('conflict', `The quote changed since version ${version}`, { details: { currentVersion: current.version } });
  if (current.status === 'accepted' || current.status === 'declined') throw new AppError('conflict', `The quote was ${current.status}; it no longer changes`);
  const fields = merge({
    title: current.title,
    currency: current.currency,
    lines: current.lines,
    status: current.status,
    validUntil: iso(current.valid_until),
  });
  const totals = priced(fields.currency, fields.lines);
  const [row] = await tx.query<QuoteRow>(
    `UPDATE portal_quote SET title = ?, currency = ?, lines = ?, subtotal_minor = ?, tax_minor = ?, total_minor = ?, status = ?, valid_until = ?,
            version = version + 1, updated_at = now() WHERE id = ? RETURNING ${columns}`,
    [
      fields.title,
      fields.currency,
      JSON.stringify(totals.lines),
      totals.subtotalMinor,
      totals.taxMinor,
      totals.totalMinor,
      fields.status,
      fields.validUntil,
      id,
    ],
  );
  return quoteView(row);
}

export function replaceQuote({ database }: Services, req: Request) {
  const { version, ...body } = req.body;
  return database.forTenant(req.tenantId).transaction((tx) => write(tx, req.params.id, version, () => ({ status: 'draft', validUntil: null, ...body })));
}

export function updateQuote({ database }: Services, req: Request) {
  const { version, ...body } = req.body;
  return database.forTenant(req.tenantId).transaction((tx) => write(tx, req.params.id, version, (current) => ({ ...current, ...body })));
}

export async function deleteQuote({ database }: Services, req: Request) {
  const deleted = await database.forTenant(req.tenantId).query('DELETE FROM portal_quote WHERE id = ? RETURNING id', [req.params.id]);
  if (deleted.length === 0) throw notFound(req.params.id);
  return { status: 204 };
}

export const listPortalQuotes = ({ database }: Services, req: Request) =>
  inClientScope(database, req, (tx) => portalQuoteList.page(tx, { ...req.query, sortOrder: 'desc' }, { where: "status <> 'draft'", params: [] }));

/** One decision per quote: the row lock and the status check make a second (or concurrent) one a 409. */
export function decidePortalQuote({ database, events }: Services, req: OperationRequest<{ decision: 'accept' | 'decline'; reason?: string }, { id: string }>) {
  return inClientScope(database, req, async (tx, caller) => {
    const [quote] = await tx.query<QuoteRow>(`SELECT ${columns} FROM portal_quote WHERE id = ? AND status <> 'draft' FOR UPDATE`, [req.params.id]);
    if (!quote) throw notFound(req.params.id);
    if (quote.status !== 'sent')
      throw new AppError('conflict', `The quote was already ${quote.status}`, { details: { status: quote.status, decidedAt: iso(quote.decided_at) } });
    if (quote.valid_until && new Date(quote.valid_until) < new Date()) throw new AppError('conflict', 'The quote has expired; ask for a new one');
    const status = req.body.decision === 'accept' ? 'accepted' : 'declined';
    const [row] = await tx.query<QuoteRow>(
      `UPDATE portal_quote SET status = ?, decision_reason = ?, decided_at = now(), decided_by = ?, version = version + 1, updated_at = now()
        WHERE id = ? RETURNING ${columns}`,
      [status, req.body.reason ?? null, caller.email, quote.id],
    );
    // The audit trail records the decision from this event (and the row change) in the same transaction.
    await events.publish(tx, {
      topic: 'portal.quote_decided',
      tenantId: caller.tenantId,
      payload: {
        quoteId: row.id,
        number: row.number,
        clientId: row.client_id,
        decision: status,
        reason: row.decision_reason,
        decidedBy: caller.email,
        sessionId: caller.sessionId,
      },
    });
    return quoteView(row);
  });
}
