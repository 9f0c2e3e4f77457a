import { type ImportKindDeclaration, readInPages, type Tx } from '../../../core/plugin-api/index.ts';

/** A ticket as imports read and exports write it (history from another system, or a backup). */
export interface TicketImportRow {
  id?: string;
  title: string;
  description?: string;
  type?: string;
  status?: string;
  priority?: string;
  clientId?: string | null;
  assignee?: string | null;
  requester?: string | null;
  tags?: string[];
  createdAt?: string;
}

const text = { type: ['string', 'null'], maxLength: 200 };

const rowSchema = {
  type: 'object',
  required: ['title'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid', description: 'An exported ticket’s id: a row with one of the workspace’s ids updates that ticket.' },
    title: { type: 'string', minLength: 1, maxLength: 300 },
    description: { type: 'string', maxLength: 20000 },
    type: { type: 'string', enum: ['incident', 'service_request', 'change', 'problem'] },
    status: { type: 'string', enum: ['new', 'open', 'pending', 'resolved', 'closed'] },
    priority: { type: 'string', enum: ['low', 'medium', 'high', 'urgent'] },
    clientId: text,
    assignee: text,
    requester: text,
    tags: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 64 } },
    createdAt: { type: 'string', format: 'date-time', maxLength: 40, description: 'When it was opened in the system it comes from (default: now).' },
  },
};

/**
 * Tickets as an import kind, one statement per batch, with `source` = `import`. Imported tickets
 * carry no SLA clock (their targets belonged to the system they come from) and publish no
 * `ticket.created` each: an import is a bulk load, recorded as its job. A row with a known id
 * updates that ticket's fields; its SLA clock, timeline and links stay as they are.
 */
export const ticketImportKind: ImportKindDeclaration<TicketImportRow & Record<string, unknown>> = {
  name: 'tickets',
  description: 'Tickets (history from another system, or a backup): no SLA clock, source "import"; id keeps an exported ticket’s identity.',
  rowSchema,
  async upsert(tx: Tx, rows) {
    await tx.query(
      `INSERT INTO ticket (id, tenant_id, title, description, type, status, priority, client_id, assignee, requester, tags, source,
         created_at, updated_at, resolved_at, closed_at)
       SELECT coalesce(r.id, gen_random_uuid()), ?, btrim(r.title), coalesce(r.description, ''), coalesce(r.type, 'incident'),
         coalesce(r.status, 'new'), coalesce(r.priority, 'medium'), r."clientId", r.assignee, r.requester, coalesce(r.tags, '{}'), 'import',
         coalesce(r."createdAt", now()), now(),
         CASE WHEN r.status IN ('resolved', 'closed') THEN now() END, CASE WHEN r.status = 'closed' THEN now() END
       FROM jsonb_to_recordset(?::jsonb) AS r(id uuid, title text, description text, type text, status text, priority text, "clientId" text,
         assignee text, requester text, tags text[], "createdAt" timestamptz)
       ON CONFLICT (id) DO UPDATE SET title = excluded.title, description = excluded.description, type = excluded.type, status = excluded.status,
         priority = excluded.priority, client_id = excluded.client_id, assignee = excluded.assignee, requester = excluded.requester,
         tags = excluded.tags, resolved_at = coalesce(ticket.resolved_at, excluded.resolved_at), closed_at = coalesce(ticket.closed_at, excluded.closed_at),
         version = ticket.version + 1, updated_at = now()`,
      [tx.tenantId, JSON.stringify(rows)],
    );
  },
  read: (tx) =>
    readInPages(
      tx,
      `SELECT id, title, description, type, status, priority, client_id AS "clientId", assignee, requester, tags,
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"
       FROM ticket ORDER BY created_at, id`,
    ),
};
