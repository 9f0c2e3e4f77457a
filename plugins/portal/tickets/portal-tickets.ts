import { type DatabaseService, listEnvelope, type OperationRequest, parseListQuery, type TicketsService } from '../../../core/plugin-api/index.ts';
import { inClientScope } from '../access/client-scope.ts';

type Services = { database: DatabaseService; tickets: TicketsService };

export function listPortalTickets({ database, tickets }: Services, req: OperationRequest<unknown, unknown, { status?: string }>) {
  // Newest first, always: what a client looks for is what they last asked.
  const list = parseListQuery({ ...req.query, sortOrder: 'desc' }, { sortable: { createdAt: 'created_at' }, defaultSort: 'createdAt' });
  return inClientScope(database, req, async (tx, caller) => {
    const page = await tickets.listForClient(tx, caller.clientId, { limit: list.limit, offset: list.offset, status: req.query.status });
    return listEnvelope(page.items, page.total, list, req.query.status ? { status: req.query.status } : {});
  });
}

export async function createPortalTicket(
  { database, tickets }: Services,
  req: OperationRequest<{ title: string; description?: string; type?: string; priority?: 'low' | 'medium' | 'high' | 'urgent' }>,
) {
  const ticket = await inClientScope(database, req, (tx, caller) => tickets.createForClient(tx, caller.clientId, req.body, caller.email));
  return { status: 201, body: ticket };
}

export function updatePortalTicket({ database, tickets }: Services, req: OperationRequest<{ comment?: string; reopen?: true }, { id: string }>) {
  return inClientScope(database, req, async (tx, caller) => {
    let ticket = await tickets.getForClient(tx, caller.clientId, req.params.id);
    if (req.body.reopen) ticket = await tickets.reopenForClient(tx, caller.clientId, req.params.id, caller.email);
    if (req.body.comment) ticket = await tickets.commentForClient(tx, caller.clientId, req.params.id, { author: caller.email, body: req.body.comment });
    return ticket;
  });
}
