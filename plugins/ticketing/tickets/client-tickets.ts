import { AppError, type ClientTicket, type ClientTicketCounts, type EventsService, type TicketsService, type Tx } from '../../../core/plugin-api/index.ts';
import { type TicketRow, ticketColumns, ticketView } from './ticket-rows.ts';
import type { TicketStore } from './ticket-store.ts';

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

/**
 * Tickets as the client portal sees them (tokens: ticketsServiceToken): only the given client's,
 * only public comments, written through the same store as every other ticket change.
 */
export class ClientTickets implements TicketsService {
  constructor(
    private readonly store: TicketStore,
    private readonly events: EventsService,
  ) {}

  async listForClient(tx: Tx, clientId: string, query: { limit: number; offset: number; status?: string }) {
    const where = ['client_id = ?', ...(query.status ? ['status = ?'] : [])];
    const params = [clientId, ...(query.status ? [query.status] : [])];
    const rows = await tx.query<TicketRow & { total: number }>(
      `SELECT ${ticketColumns}, count(*) OVER ()::int AS total FROM ticket WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id LIMIT ? OFFSET ?`,
      [...params, query.limit, query.offset],
    );
    const total =
      rows.length > 0 ? rows[0].total : (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ticket WHERE ${where.join(' AND ')}`, params))[0].n;
    return { items: await this.views(tx, rows), total };
  }

  async getForClient(tx: Tx, clientId: string, id: string) {
    return (await this.views(tx, [await this.owned(tx, clientId, id)]))[0];
  }

  async createForClient(
    tx: Tx,
    clientId: string,
    input: { title: string; description?: string; type?: string; priority?: ClientTicket['priority'] },
    requester: string,
  ) {
    const row = await this.store.create(tx, { ...input, clientId, requester, status: 'new' }, requester, 'portal');
    return (await this.views(tx, [row]))[0];
  }

  async commentForClient(tx: Tx, clientId: string, id: string, comment: { author: string; body: string }) {
    const ticket = await this.owned(tx, clientId, id);
    // Written as an entry, not through the store's comment: whoever of the client writes, it is the
    // requester's side talking, never the MSP's first response that stops the SLA clock.
    await this.store.addEntry(tx, id, { kind: 'comment', visibility: 'public', author: comment.author, body: comment.body });
    await this.events.publish(tx, { topic: 'ticket:updated', tenantId: tx.tenantId, payload: { ticket: ticketView(ticket), changes: ['comment'] } });
    return this.getForClient(tx, clientId, id);
  }

  async reopenForClient(tx: Tx, clientId: string, id: string, author: string) {
    const ticket = await this.owned(tx, clientId, id);
    if (ticket.status !== 'resolved' && ticket.status !== 'closed') throw new AppError('conflict', `Ticket ${id} is ${ticket.status}, not resolved or closed`);
    const row = await this.store.change(tx, id, { status: 'open' }, { author, reason: 'reopened by the client' });
    return (await this.views(tx, [row]))[0];
  }

  async countsForClient(tx: Tx, clientId: string): Promise<ClientTicketCounts> {
    const [row] = await tx.query<ClientTicketCounts>(
      `SELECT count(*) FILTER (WHERE status IN ('new', 'open'))::int AS open, count(*) FILTER (WHERE status = 'pending')::int AS "awaitingClient",
              count(*) FILTER (WHERE status IN ('resolved', 'closed'))::int AS resolved, count(*)::int AS total
         FROM ticket WHERE client_id = ?`,
      [clientId],
    );
    return row;
  }

  // Another client's ticket does not exist for this one: the same answer as an unknown id.
  private async owned(tx: Tx, clientId: string, id: string): Promise<TicketRow> {
    const [row] = await tx.query<TicketRow>(`SELECT ${ticketColumns} FROM ticket WHERE id = ? AND client_id = ? FOR UPDATE`, [id, clientId]);
    if (!row) throw new AppError('not_found', `Ticket ${id} was not found`);
    return row;
  }

  private async views(tx: Tx, rows: TicketRow[]): Promise<ClientTicket[]> {
    if (rows.length === 0) return [];
    const comments = await tx.query<{ ticket_id: string; author: string; body: string; created_at: Date }>(
      `SELECT ticket_id, author, body, created_at FROM (
         SELECT ticket_id, author, body, created_at, seq, row_number() OVER (PARTITION BY ticket_id ORDER BY created_at DESC, seq DESC) AS n
           FROM ticket_entry WHERE ticket_id = ANY(?::uuid[]) AND kind = 'comment' AND visibility = 'public') latest
        WHERE n <= 50 ORDER BY created_at, seq`,
      [rows.map((r) => r.id)],
    );
    return rows.map((row) => ({
      id: row.id,
      title: row.title,
      description: row.description,
      type: row.type,
      status: row.status,
      priority: row.priority,
      requester: row.requester,
      conversation: comments
        .filter((c) => c.ticket_id === row.id)
        .map((c) => ({ author: c.author, body: c.body, createdAt: new Date(c.created_at).toISOString() })),
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      resolvedAt: iso(row.resolved_at),
      closedAt: iso(row.closed_at),
    }));
  }
}
