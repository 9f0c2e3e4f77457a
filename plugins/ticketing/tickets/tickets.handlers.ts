import { AppError, type DatabaseService, listEnvelope, type OperationRequest, parseListQuery } from '../../../core/plugin-api/index.ts';
import type { TicketList } from './ticket-list.ts';
import { entryView, type TicketEntryRow, ticketView } from './ticket-rows.ts';
import { replaceDefaults, type TicketInput, type TicketStore } from './ticket-store.ts';

export interface TicketServices {
  database: DatabaseService;
  store: TicketStore;
  ticketList: TicketList;
}

/** A request the router authorized for a workspace: the tenant is there. */
export type WorkspaceRequest<Body = unknown, Params = Record<string, string>, Query = Record<string, unknown>> = OperationRequest<Body, Params, Query> & {
  tenantId: string;
};

/** Who wrote a comment or made a change, as the timeline shows it. */
export const authorOf = (req: OperationRequest) => req.principal?.name ?? req.principal?.id ?? 'unknown';

export async function listTicketsHandler(services: TicketServices, req: WorkspaceRequest) {
  return services.ticketList.page(req.tenantId, req.query);
}

export async function createTicket(services: TicketServices, req: WorkspaceRequest<TicketInput & { title: string }>) {
  const row = await services.database.forTenant(req.tenantId).transaction((tx) => services.store.create(tx, req.body, authorOf(req)));
  return { status: 201, body: ticketView(row) };
}

export async function getTicket(services: TicketServices, req: WorkspaceRequest<unknown, { id: string }>) {
  return ticketView(await services.database.forTenant(req.tenantId).transaction((tx) => services.store.get(tx, req.params.id)));
}

export async function replaceTicket(services: TicketServices, req: WorkspaceRequest<TicketInput & { title: string; version: number }, { id: string }>) {
  const { version, ...fields } = req.body;
  // Fields a PUT leaves out take their defaults; status and policy stay unless named.
  const input: TicketInput = { ...replaceDefaults, ...fields };
  const row = await services.database
    .forTenant(req.tenantId)
    .transaction((tx) => services.store.change(tx, req.params.id, input, { expectedVersion: version, author: authorOf(req) }));
  return ticketView(row);
}

export async function updateTicket(services: TicketServices, req: WorkspaceRequest<TicketInput & { version: number }, { id: string }>) {
  const { version, ...fields } = req.body;
  const row = await services.database
    .forTenant(req.tenantId)
    .transaction((tx) => services.store.change(tx, req.params.id, fields, { expectedVersion: version, author: authorOf(req) }));
  return ticketView(row);
}

export async function deleteTicket(services: TicketServices, req: WorkspaceRequest<unknown, { id: string }>) {
  await services.database.forTenant(req.tenantId).transaction((tx) => services.store.delete(tx, req.params.id));
  return { status: 204 };
}

export async function createTicketComment(
  services: TicketServices,
  req: WorkspaceRequest<{ body: string; visibility?: 'public' | 'internal'; timeSpentMinutes?: number; billable?: boolean }, { id: string }>,
) {
  const entry = await services.database.forTenant(req.tenantId).transaction((tx) =>
    services.store.comment(tx, req.params.id, {
      author: authorOf(req),
      body: req.body.body,
      visibility: req.body.visibility ?? 'internal',
      timeSpentMinutes: req.body.timeSpentMinutes,
      billable: req.body.billable,
    }),
  );
  return { status: 201, body: entryView(entry) };
}

export async function listTicketTimeline(services: TicketServices, req: WorkspaceRequest<unknown, { id: string }>) {
  const query = services.database.forTenant(req.tenantId).query;
  const [ticket] = await query('SELECT id FROM ticket WHERE id = ?', [req.params.id]);
  if (!ticket) throw new AppError('not_found', `Ticket ${req.params.id} was not found`);
  const list = parseListQuery(req.query, { sortable: { createdAt: 'created_at' }, defaultSort: 'createdAt' });
  const where = ['ticket_id = ?'];
  const params: unknown[] = [req.params.id];
  const filters: Record<string, unknown> = {};
  for (const key of ['visibility', 'kind'] as const) {
    if (req.query[key] === undefined) continue;
    where.push(`${key} = ?`);
    params.push(req.query[key]);
    filters[key] = req.query[key];
  }
  // A ticket's timeline is small: the window count is cheap here.
  const rows = await query<TicketEntryRow & { total: number }>(
    `SELECT *, count(*) OVER ()::int AS total FROM ticket_entry WHERE ${where.join(' AND ')} ORDER BY created_at, seq LIMIT ? OFFSET ?`,
    [...params, list.limit, list.offset],
  );
  const total =
    rows.length > 0 ? rows[0].total : (await query<{ n: number }>(`SELECT count(*)::int AS n FROM ticket_entry WHERE ${where.join(' AND ')}`, params))[0].n;
  return listEnvelope(
    rows.map(({ total: _, ...row }) => entryView(row)),
    total,
    list,
    filters,
  );
}
