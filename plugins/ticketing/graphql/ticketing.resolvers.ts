import { type DatabaseService, type GraphQLContext, type JsonSchema, type PluginContext, tokens } from '../../../core/plugin-api/index.ts';
import type { TicketList } from '../tickets/ticket-list.ts';
import { entryView, type TicketEntryRow, ticketView } from '../tickets/ticket-rows.ts';
import type { TicketInput, TicketStore } from '../tickets/ticket-store.ts';

type Args = Record<string, any>;

const text = (max: number) => ({ type: ['string', 'null'], maxLength: max });
const fields: Record<string, JsonSchema> = {
  title: { type: 'string', minLength: 1, maxLength: 300 },
  description: text(20000),
  clientId: text(200),
  assignee: text(200),
  requester: text(200),
  tags: { type: ['array', 'null'], maxItems: 50, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 64 } },
  links: {
    type: ['array', 'null'],
    maxItems: 100,
    items: {
      type: 'object',
      properties: { type: { enum: ['ticket', 'asset', 'runbook', 'alert', 'url'] }, target: { type: 'string', minLength: 1, maxLength: 2000 } },
    },
  },
  slaPolicyId: { type: ['string', 'null'], format: 'uuid' },
  version: { type: 'integer', minimum: 1, maximum: 2147483647 },
};
/** The REST contract's bounds, for what GraphQL's types cannot say. */
const inputSchema: JsonSchema = { type: 'object', properties: fields };
const idSchema: JsonSchema = { type: 'string', format: 'uuid' };
const filterSchema: JsonSchema = {
  type: 'object',
  properties: { q: text(200), assignee: text(200), requester: text(200), clientId: text(200), tag: text(64) },
};
const pageSchema: JsonSchema = {
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, offset: { type: 'integer', minimum: 0, maximum: 1000000 } },
};

/** GraphQL input without nulls (GraphQL's "not given"), as the REST body would be. */
const given = (input: Args | null | undefined): Args => Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v !== null && v !== undefined));

/**
 * Tickets over GraphQL: the same list, store and permissions as REST (another workspace's id is
 * null or not found). Subscriptions are core's `ticketCreated`/`ticketUpdated`/`ticketDeleted`, fed by our topics.
 */
export function registerTicketingResolvers(ctx: PluginContext, deps: { database: DatabaseService; store: TicketStore; ticketList: TicketList }) {
  const { database, store, ticketList } = deps;
  const validator = ctx.get(tokens.validator);
  const tenant = async (context: GraphQLContext, permission: string) => (await context.authorize(permission)) as string;
  const author = (context: GraphQLContext) => context.principal?.name ?? context.principal?.id ?? 'unknown';

  ctx.resolve('Query', 'tickets', async (_p, args: Args, context) => {
    const tenantId = await tenant(context, 'ticketing.tickets:read');
    const filter = given(args.filter);
    validator.assert(filterSchema, filter);
    validator.assert(pageSchema, { limit: args.limit, offset: args.offset });
    const page = await ticketList.page(tenantId, {
      ...filter,
      sortBy: args.sortBy,
      sortOrder: args.sortOrder,
      limit: args.limit,
      offset: args.offset,
    });
    return { ...page, edges: page.data.map((node, i) => ({ cursor: String(page.page.offset + i), node })) };
  });
  ctx.resolve('Query', 'ticket', async (_p, args: Args, context) => {
    const tenantId = await tenant(context, 'ticketing.tickets:read');
    validator.assert(idSchema, args.id);
    const row = await database.forTenant(tenantId).transaction((tx) => store.find(tx, args.id));
    return row ? ticketView(row) : null;
  });
  ctx.resolve('Ticket', 'timeline', async (ticket: { id: string }, args: Args, context) => {
    const tenantId = await tenant(context, 'ticketing.tickets:read');
    validator.assert(pageSchema, { limit: args.limit, offset: args.offset });
    const query = database.forTenant(tenantId).query;
    const visibility = args.visibility ? ' AND visibility = ?' : '';
    const params = [ticket.id, ...(args.visibility ? [args.visibility] : [])];
    const rows = await query<TicketEntryRow>(`SELECT * FROM ticket_entry WHERE ticket_id = ?${visibility} ORDER BY created_at, seq LIMIT ? OFFSET ?`, [
      ...params,
      args.limit,
      args.offset,
    ]);
    const [{ n }] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM ticket_entry WHERE ticket_id = ?${visibility}`, params);
    return {
      data: rows.map(entryView),
      page: { limit: args.limit, offset: args.offset, returned: rows.length, total: n },
      sort: { by: 'createdAt', order: 'asc' },
      filters: args.visibility ? { visibility: args.visibility } : {},
    };
  });

  ctx.resolve('Mutation', 'createTicket', async (_p, args: Args, context) => {
    const tenantId = await tenant(context, 'ticketing.tickets:write');
    const input = given(args.input) as TicketInput & { title: string };
    validator.assert(inputSchema, input);
    return ticketView(await database.forTenant(tenantId).transaction((tx) => store.create(tx, input, author(context))));
  });
  ctx.resolve('Mutation', 'updateTicket', async (_p, args: Args, context) => {
    const tenantId = await tenant(context, 'ticketing.tickets:write');
    validator.assert(idSchema, args.id);
    const { version, ...input } = given(args.input);
    validator.assert(inputSchema, { ...input, version });
    const row = await database.forTenant(tenantId).transaction((tx) => store.change(tx, args.id, input, { expectedVersion: version, author: author(context) }));
    return ticketView(row);
  });
  ctx.resolve('Mutation', 'deleteTicket', async (_p, args: Args, context) => {
    const tenantId = await tenant(context, 'ticketing.tickets:delete');
    validator.assert(idSchema, args.id);
    await database.forTenant(tenantId).transaction((tx) => store.delete(tx, args.id));
    return args.id;
  });
  ctx.resolve('Mutation', 'addTicketComment', async (_p, args: Args, context) => {
    const tenantId = await tenant(context, 'ticketing.tickets:write');
    validator.assert(idSchema, args.id);
    const input = given(args.input);
    validator.assert(
      {
        type: 'object',
        properties: { body: { type: 'string', minLength: 1, maxLength: 20000 }, timeSpentMinutes: { type: 'integer', minimum: 0, maximum: 10000 } },
      },
      input,
    );
    const entry = await database.forTenant(tenantId).transaction((tx) =>
      store.comment(tx, args.id, {
        author: author(context),
        body: input.body,
        visibility: input.visibility ?? 'internal',
        timeSpentMinutes: input.timeSpentMinutes,
        billable: input.billable,
      }),
    );
    return entryView(entry);
  });
}
