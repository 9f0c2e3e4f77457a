import type { AutomatedTicket, TicketAutomationService } from '../../../core/plugin-api/index.ts';
import { type TicketRow, ticketColumns, ticketNumberOf } from './ticket-rows.ts';
import type { TicketStore } from './ticket-store.ts';

const view = (row: TicketRow): AutomatedTicket => ({ id: row.id, status: row.status, priority: row.priority, version: row.version });

/** Tickets for workflow steps, through the store like any other change (source `workflow`). */
export function automationTickets(store: TicketStore): TicketAutomationService {
  return {
    async open(tx, input, author) {
      return view(await store.create(tx, input, author, 'workflow'));
    },
    async update(tx, id, change, author) {
      if (change.comment) await store.comment(tx, id, { visibility: 'internal', author, body: change.comment });
      if (change.status === undefined && change.priority === undefined) return view(await store.get(tx, id));
      return view(await store.change(tx, id, { status: change.status, priority: change.priority }, { author, reason: 'changed by a workflow' }));
    },
    async linkChange(tx, keys, change, author) {
      const numbers = [...new Set(keys.map(ticketNumberOf).filter((n) => n !== undefined))];
      if (numbers.length === 0) return [];
      const tickets = await tx.query<TicketRow>(`SELECT ${ticketColumns} FROM ticket WHERE number = ANY(?::int[]) ORDER BY number`, [numbers]);
      for (const ticket of tickets) {
        await store.comment(tx, ticket.id, { visibility: 'internal', author, body: change.note });
        const link = change.url === null ? undefined : { type: 'url' as const, target: change.url, note: change.note.slice(0, 500) };
        // A redelivered change, or one naming the ticket twice, links it once.
        if (link && !ticket.links.some((l) => l.type === 'url' && l.target === link.target) && ticket.links.length < 100)
          await store.change(tx, ticket.id, { links: [...ticket.links, link] }, { author, reason: 'linked to a change', quiet: true });
      }
      return tickets.map((t) => t.id);
    },
  };
}
