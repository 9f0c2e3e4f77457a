/**
 * A small plugin of another author, for the audit tests and bench: a table with secret columns and
 * operations that create (in a transaction, optionally failing after the insert), rename (a lone
 * statement) and delete things. The audit plugin knows nothing of it: it sees its changes only
 * through the core's mutation observer.
 */
import { randomUUID } from 'node:crypto';
import { AppError, definePlugin, tokens } from '../../core/plugin-api/index.ts';

const errors = {
  '400': { $ref: '#/components/responses/BadRequest' },
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': { $ref: '#/components/responses/Forbidden' },
  '404': { $ref: '#/components/responses/NotFound' },
  '409': { $ref: '#/components/responses/Conflict' },
};
const thing = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } };

export const probePlugin = definePlugin({
  id: 'auditprobe',
  version: '1.0.0',
  host: '*',
  migrations: [
    {
      name: '0001-things',
      up: `CREATE TABLE auditprobe_thing (
             id uuid PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL,
             smtp_login text, webhook_secret text, settings jsonb NOT NULL DEFAULT '{}')`,
    },
  ],
  openapi: {
    paths: {
      '/api/v1/audit-probe/things': {
        post: {
          operationId: 'probeCreateThing',
          'x-permission': 'auditprobe:write',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['name'],
                  additionalProperties: false,
                  properties: {
                    name: { type: 'string', maxLength: 100 },
                    // Secret by the contract only: the column name says nothing.
                    smtpLogin: { type: 'string', format: 'password', maxLength: 100 },
                    // Secret by its name.
                    webhookSecret: { type: 'string', maxLength: 100 },
                    settings: { type: 'object', additionalProperties: { type: 'string', maxLength: 100 }, maxProperties: 10 },
                    failAfterInsert: { type: 'boolean' },
                  },
                },
              },
            },
          },
          responses: { '201': { description: 'created', content: { 'application/json': { schema: thing } } }, '422': { description: 'refused' }, ...errors },
        },
      },
      '/api/v1/audit-probe/things/{id}': {
        patch: {
          operationId: 'probeRenameThing',
          'x-permission': 'auditprobe:write',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid', maxLength: 36 } }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 } } },
              },
            },
          },
          responses: { '200': { description: 'renamed', content: { 'application/json': { schema: thing } } }, ...errors },
        },
      },
    },
  },
  graphql: 'extend type Mutation { "Renames a probe thing." probeRenameThing(id: ID!, name: String!): Boolean! }',
  permissions: [{ name: 'auditprobe:write', description: 'Change probe things' }],
  policies: [{ role: 'ops_engineer', permission: 'auditprobe:write' }],
  init(ctx) {
    const database = ctx.get(tokens.database);
    ctx.handle('probeCreateThing', async (req) => {
      const tenantId = req.tenantId as string;
      const body = req.body as { name: string; smtpLogin?: string; webhookSecret?: string; settings?: Record<string, string>; failAfterInsert?: boolean };
      const created = await database.forTenant(tenantId).transaction(async (tx) => {
        const [row] = await tx.query<{ id: string; name: string }>(
          'INSERT INTO auditprobe_thing (id, tenant_id, name, smtp_login, webhook_secret, settings) VALUES (?, ?, ?, ?, ?, ?) RETURNING id, name',
          [randomUUID(), tenantId, body.name, body.smtpLogin ?? null, body.webhookSecret ?? null, JSON.stringify(body.settings ?? {})],
        );
        if (body.failAfterInsert) throw new AppError('unprocessable', 'refused after the insert, as asked');
        return row;
      });
      return { status: 201, body: created };
    });
    ctx.handle('probeRenameThing', async (req) => {
      const [row] = await database
        .forTenant(req.tenantId as string)
        .query<{ id: string; name: string }>('UPDATE auditprobe_thing SET name = ? WHERE id = ? RETURNING id, name', [
          (req.body as { name: string }).name,
          req.params.id,
        ]);
      if (!row) throw new AppError('not_found', 'no such thing');
      return row;
    });
    ctx.resolve(
      'Mutation',
      'probeRenameThing',
      async (_parent, args: { id: string; name: string }, context) => {
        const rows = await database
          .forTenant(context.tenantId as string)
          .query('UPDATE auditprobe_thing SET name = ? WHERE id = ? RETURNING id', [args.name, args.id]);
        return rows.length > 0;
      },
      { permission: 'auditprobe:write' },
    );
  },
});
