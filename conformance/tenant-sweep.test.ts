import { randomUUID } from 'node:crypto';
import t from 'tap';
import { adminEmail, adminPassword, login } from '../core/testing/identity-fixtures.ts';
import { startTestKernel } from '../core/testing/test-kernel.ts';
import { AppError, definePlugin } from '../core/plugin-api/index.ts';
import type { CheckContext } from './checks.ts';
import { listOperations, resolveRef } from './contract-document.ts';
import { ConformanceClient, parseJson } from './http-client.ts';
import { SchemaValidator } from './schema-validation.ts';
import { sweepTenants } from './tenant-sweep.ts';

/**
 * The sweep finds a leak where there is one and none where there is none: two plugins keep notes in
 * memory the same way, but `leaky` reads them by id and lists them without asking whose they are.
 * (Kept in memory on purpose: these are fixtures of a wrong plugin, not a pattern to follow.)
 */

function notesPlugin(id: 'leaky' | 'scoped') {
  const notes = new Map<string, { id: string; tenantId: string; text: string }>();
  const note = { type: 'object', required: ['id', 'text'], properties: { id: { type: 'string' }, text: { type: 'string' } } };
  const refusals = {
    '400': { $ref: '#/components/responses/BadRequest' },
    '401': { $ref: '#/components/responses/Unauthorized' },
    '403': { $ref: '#/components/responses/Forbidden' },
  };
  const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const path = `/api/v1/${id}-notes`;
  return definePlugin({
    id,
    version: '1.0.0',
    host: '*',
    permissions: [{ name: `${id}:write`, description: 'notes' }],
    openapi: {
      paths: {
        [path]: {
          get: {
            operationId: `${id}ListNotes`,
            'x-permission': `${id}:write`,
            responses: {
              '200': {
                description: 'notes',
                content: { 'application/json': { schema: { type: 'object', properties: { data: { type: 'array', items: note } } } } },
              },
              ...refusals,
            },
          },
          post: {
            operationId: `${id}CreateNote`,
            'x-permission': `${id}:write`,
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['text'],
                    additionalProperties: false,
                    properties: { text: { type: 'string', maxLength: 100, pattern: '^[^\\u0000]*$' } },
                  },
                },
              },
            },
            responses: { '201': { description: 'created', content: { 'application/json': { schema: note } } }, ...refusals },
          },
        },
        [`${path}/{id}`]: {
          get: {
            operationId: `${id}GetNote`,
            'x-permission': `${id}:write`,
            parameters: [idParameter],
            responses: {
              '200': { description: 'the note', content: { 'application/json': { schema: note } } },
              '404': { $ref: '#/components/responses/NotFound' },
              ...refusals,
            },
          },
        },
      },
    },
    init(ctx) {
      const mine = (tenantId: string) => [...notes.values()].filter((n) => id === 'leaky' || n.tenantId === tenantId);
      ctx.handle(`${id}CreateNote`, (req) => {
        const created = { id: randomUUID(), tenantId: req.tenantId as string, text: (req.body as { text: string }).text };
        notes.set(created.id, created);
        return { status: 201, body: { id: created.id, text: created.text } };
      });
      ctx.handle(`${id}ListNotes`, (req) => ({ data: mine(req.tenantId as string).map(({ id, text }) => ({ id, text })) }));
      ctx.handle(`${id}GetNote`, (req) => {
        const found = mine(req.tenantId as string).find((n) => n.id === req.params.id);
        if (!found) throw new AppError('not_found', 'No such note');
        return { id: found.id, text: found.text };
      });
    },
  });
}

t.test('the cross-tenant sweep reports the leaky plugin and only it', async (t) => {
  const kernel = await startTestKernel(t, {
    plugins: [notesPlugin('leaky'), notesPlugin('scoped')],
    env: { ITOPS_ADMIN_EMAIL: adminEmail, ITOPS_ADMIN_PASSWORD: adminPassword },
  });
  const { port } = kernel.server.address() as { port: number };
  const client = new ConformanceClient(`http://127.0.0.1:${port}`);
  const document = parseJson((await client.send({ method: 'GET', path: '/api/v1/openapi' })).text).value as Record<string, any>;
  const context: CheckContext = {
    client,
    validator: new SchemaValidator(document),
    resolve: (schema) => resolveRef(document, schema),
    operationIdCounts: new Map(),
  };
  const admin = await login(kernel, adminEmail, adminPassword);
  // The two plugins' operations only: the whole contract is conformance:ci's to sweep, and takes minutes here.
  const operations = listOperations(document).filter((operation) => operation.path.includes('-notes'));
  t.equal(operations.length, 6);
  const results = await sweepTenants(operations, context, admin.headers);

  const leaks = results.filter((r) => r.check === 'leak').map((r) => r.detail);
  t.ok(
    leaks.some((line) => line.startsWith('leakyGetNote as admin of')),
    'reading A’s note by id as B’s admin is a leak',
  );
  t.ok(
    leaks.some((line) => line.startsWith('leakyGetNote as API key of')),
    'and as B’s API key',
  );
  t.ok(
    leaks.some((line) => line.startsWith('leakyListNotes') && line.includes('sweepmark')),
    'B’s list shows A’s note, found by the marker A’s note carries',
  );
  t.same(
    leaks.filter((line) => !line.startsWith('leaky')),
    [],
    'the scoped plugin answers B with 404 and an empty list',
  );
  const summary = results.find((r) => r.check === 'cross-tenant');
  t.equal(summary?.outcome, 'FAIL', 'the sweep fails');
  t.match(summary?.detail, /\d+ leaks/);
  t.notOk(
    results.some((r) => r.check === 'not created' && r.detail.startsWith('scopedCreateNote')),
    'A’s note was created',
  );
});
