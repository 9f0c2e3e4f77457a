import type { AutomatedTicket, TicketAutomationService } from '../../../core/plugin-api/index.ts';
import type { TicketRow } from './ticket-rows.ts';
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
  };
}
