import { randomUUID } from 'node:crypto';
import { type ContractHandlers, definePlugin, tokens } from 'itops/plugin-api';
import type { MaintenanceNote, OperationTypes } from './contract.types.ts';

const columns = `id, title, body, author, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "createdAt"`;

/** Notes an operator leaves on a workspace: a REST resource, a GraphQL field, an event and a table. */
export default definePlugin({
  id: 'notes',
  version: '1.0.0',
  host: '>=0.1.0 <1.0.0',
  openapi: new URL('./openapi.yaml', import.meta.url),
  graphql: `
    type MaintenanceNote { id: ID! title: String! body: String! author: String! createdAt: DateTime! }
    extend type Query { "The workspace's notes, newest first; needs notes:read." maintenanceNotes: [MaintenanceNote!]! }`,
  migrations: new URL('./migrations/', import.meta.url),
  permissions: [
    { name: 'notes:read', description: 'Read maintenance notes' },
    { name: 'notes:write', description: 'Leave maintenance notes' },
  ],
  policies: [
    { role: 'viewer', permission: 'notes:read' },
    { role: 'ops_engineer', permission: 'notes:read' },
    { role: 'ops_engineer', permission: 'notes:write' },
  ],
  config: {
    ITOPS_NOTES_RETENTION_DAYS: {
      type: 'integer',
      description: 'Days a maintenance note is kept before the hourly prune removes it',
      default: 365,
      minimum: 1,
    },
  },
  // A page in the web console: the list as a table and a form from notesCreate's request schema.
  console: {
    pages: [
      {
        path: 'maintenance-notes',
        title: 'Maintenance notes',
        navGroup: 'Operations',
        permission: 'notes:read',
        list: '/api/v1/maintenance-notes',
        columns: ['title', 'author', 'createdAt'],
        create: { operation: 'notesCreate', label: 'New note' },
      },
    ],
  },
  events: [{ topic: 'notes.created', description: 'A note was left', payloadSchema: { type: 'object', required: ['id', 'title'] } }],
  init(ctx) {
    const database = ctx.get(tokens.database);
    const events = ctx.get(tokens.events);
    // No tenant condition anywhere: row-level security shows a workspace only its own rows.
    const list = (tenantId: string) =>
      database.forTenant(tenantId).query<MaintenanceNote>(`SELECT ${columns} FROM maintenance_note ORDER BY created_at DESC LIMIT 100`);

    // Typed by the contract (contract.types.ts, from openapi.yaml): the body as declared, the answer checked.
    const handlers: ContractHandlers<OperationTypes> = {
      notesCreate: async (req) => {
        const tenantId = req.tenantId as string;
        const note = await database.forTenant(tenantId).transaction(async (tx) => {
          const [row] = await tx.query<MaintenanceNote>(
            `INSERT INTO maintenance_note (id, tenant_id, title, body, author) VALUES (?, ?, ?, ?, ?) RETURNING ${columns}`,
            [randomUUID(), tenantId, req.body.title, req.body.body ?? '', req.principal?.name ?? req.principal?.id ?? 'unknown'],
          );
          // Delivered only if the note commits: the event is written in the note's transaction.
          await events.publish(tx, { topic: 'notes.created', tenantId, payload: { id: row.id, title: row.title } });
          return row;
        });
        return { status: 201, body: note };
      },
      notesList: async (req) => ({ data: await list(req.tenantId as string) }),
    };
    for (const [operationId, handler] of Object.entries(handlers)) ctx.handle(operationId, handler);
    // Retention across workspaces, so the explicit platform handle; one node runs it, about hourly.
    const retentionDays = ctx.config.ITOPS_NOTES_RETENTION_DAYS;
    ctx.every('prune', 60 * 60_000, () =>
      database.platform.query('DELETE FROM maintenance_note WHERE created_at < now() - make_interval(days => ?)', [retentionDays]),
    );
    ctx.resolve('Query', 'maintenanceNotes', (_parent, _args, context) => list(context.tenantId as string), { permission: 'notes:read' });
  },
});
