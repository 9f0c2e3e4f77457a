import t from 'tap';
import { emitContract, generatedHeader } from './codegen/contract-emitter.ts';
import { SchemaTypeEmitter, typeName } from './codegen/schema-types.ts';

const errors = { '400': { $ref: '#/components/responses/BadRequest' }, '401': { description: 'x' }, '403': { description: 'x' } };
const document = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {
    '/api/v1/workspaces/{workspaceId}/tickets': {
      parameters: [{ name: 'workspaceId', in: 'path', required: true, schema: { type: 'string' } }],
      post: {
        operationId: 'createTicket',
        summary: 'Opens a ticket.',
        'x-permission': 'tickets:write',
        parameters: [{ $ref: '#/components/parameters/IdempotencyKey' }, { name: 'Authorization', in: 'header', schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateTicketRequest' } } } },
        responses: { '201': { description: 'created', content: { 'application/json': { schema: { $ref: '#/components/schemas/Ticket' } } } }, ...errors },
      },
      get: {
        operationId: 'listTickets',
        'x-permission': 'tickets:read',
        parameters: [
          { name: 'status', in: 'query', schema: { type: 'array', items: { $ref: '#/components/schemas/TicketStatus' } } },
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
        ],
        responses: {
          '200': {
            description: 'ok',
            content: {
              'application/json': {
                schema: {
                  allOf: [
                    { $ref: '#/components/schemas/list-envelope' },
                    { type: 'object', properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Ticket' } } } },
                  ],
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    '/ping/{token}': {
      post: {
        operationId: 'ping',
        'x-public': true,
        parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { content: { 'text/plain': { schema: { type: 'string' } } } },
        responses: { '204': { description: 'pinged' }, '400': { description: 'x' } },
      },
    },
  },
  components: {
    parameters: { IdempotencyKey: { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string' } } },
    responses: { BadRequest: { description: 'bad', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    schemas: {
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } } } },
      TicketStatus: { type: 'string', enum: ['open', 'closed'] },
      Ticket: {
        type: 'object',
        description: 'A ticket. Never `*/` breaks the comment.',
        required: ['id', 'status', 'assignee', 'tags', 'target'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', format: 'uuid' },
          status: { $ref: '#/components/schemas/TicketStatus' },
          assignee: { type: ['string', 'null'] },
          tags: { type: 'array', items: { type: 'string' } },
          target: { oneOf: [{ $ref: '#/components/schemas/Host' }, { type: 'object', required: ['url'], properties: { url: { type: 'string' } } }] },
          'due-at': { type: 'string', format: 'date-time', nullable: true },
          labels: { type: 'object', additionalProperties: { type: 'integer' } },
          priority: { const: 3 },
          matrix: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
        },
      },
      Host: { type: 'object', required: ['hostname'], properties: { hostname: { type: 'string' } } },
      'list-envelope': { type: 'object', required: ['data'], properties: { data: { type: 'array', items: {} } } },
      CreateTicketRequest: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } },
    },
  },
};

const text = emitContract(document);

t.test('component schemas become named types', async (t) => {
  t.ok(text.startsWith(`${generatedHeader}\n`));
  t.match(text, "export type TicketStatus = 'open' | 'closed';");
  t.match(text, '/** A ticket. Never `*\\/` breaks the comment. */\nexport type Ticket = {');
  t.match(text, '  status: TicketStatus;\n');
  t.match(text, '  assignee: string | null;\n');
  t.match(text, '  tags: string[];\n');
  t.match(text, '  target: Host | {\n    url: string;\n  };\n');
  t.match(text, "  'due-at'?: string | null;\n");
  t.match(text, '  labels?: {\n    [key: string]: number;\n  };\n');
  t.match(text, '  priority?: 3;\n');
  t.match(text, '  matrix?: (string | number)[];\n');
  t.match(text, 'export type ListEnvelope = {\n  data: unknown[];\n};', 'a name that is not an identifier becomes PascalCase');
});

t.test('operations get request and response types, and step aside for a schema of the same name', async (t) => {
  t.match(text, 'export type CreateTicketRequest = {\n  title: string;\n};');
  t.match(
    text,
    "export type CreateTicketOperationRequest = {\n  path: {\n    workspaceId: string;\n  };\n  headers?: {\n    'Idempotency-Key'?: string;\n  };\n  body: CreateTicketRequest;\n};",
  );
  t.notMatch(text, 'Authorization?', 'headers the client sets are not request fields');
  t.match(text, 'export type CreateTicketResponse = Ticket;');
  t.match(text, 'query?: {\n    status?: TicketStatus[];\n    limit?: number;\n  };');
  t.match(text, 'export type ListTicketsResponse = ListEnvelope & {\n  data?: Ticket[];\n};');
  t.match(text, 'export type PingRequest = {\n  path: {\n    token: string;\n  };\n  body?: string;\n};');
  t.match(text, 'export type PingResponse = undefined;');
  t.match(text, '  createTicket: { request: CreateTicketOperationRequest; response: CreateTicketResponse };');
});

t.test('the operations table is sorted and carries method, path, public, permission and body media type', async (t) => {
  const table = text.slice(text.indexOf('export const operations'));
  t.equal(
    table,
    [
      'export const operations = {',
      "  createTicket: { method: 'POST', path: '/api/v1/workspaces/{workspaceId}/tickets', public: false, permission: 'tickets:write', requestBody: 'application/json' },",
      "  listTickets: { method: 'GET', path: '/api/v1/workspaces/{workspaceId}/tickets', public: false, permission: 'tickets:read' },",
      "  ping: { method: 'POST', path: '/ping/{token}', public: true, requestBody: 'text/plain' },",
      '} as const satisfies Record<OperationId, OperationInfo>;',
      '',
    ].join('\n'),
  );
});

t.test('output is deterministic whatever the order of the contract', async (t) => {
  const reversed = structuredClone(document) as Record<string, any>;
  reversed.components.schemas = Object.fromEntries(Object.entries(reversed.components.schemas).reverse());
  reversed.paths = Object.fromEntries(Object.entries(reversed.paths).reverse());
  t.equal(emitContract(reversed), text);
});

t.test('schema keywords the emitter does not model become unknown, and names are made safe', async (t) => {
  const types = new SchemaTypeEmitter({}, new Map());
  t.equal(types.typeOf({ not: { type: 'string' } }), 'unknown');
  t.equal(types.typeOf({ $ref: '#/components/schemas/Missing' }), 'unknown');
  t.equal(types.typeOf({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false }), '[string, number]');
  t.equal(
    types.typeOf({ allOf: [{ type: 'object', required: ['a'], properties: { a: { type: 'string' } } }, { oneOf: [{ type: 'string' }, { type: 'number' }] }] }),
    '{\n  a: string;\n} & (string | number)',
  );
  t.equal(
    types.typeOf({ type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'number' } }),
    '{\n  a?: string;\n  [key: string]: number | string | undefined;\n}',
  );
  t.equal(typeName('isage.api-key_v2'), 'IsageApiKeyV2');
  t.equal(typeName('2fa'), '_2fa');
  t.throws(() => emitContract({ components: { schemas: { 'a-b': {}, AB: {} } } }), /both become the type name AB/);
});

t.test('names the SDK itself declares are not overwritten', async (t) => {
  const op = { operationId: 'operation', responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'string' } } } } } };
  const emitted = emitContract({ paths: { '/o': { get: op } } });
  t.match(emitted, 'export type OperationOperationRequest = { [key: string]: never };');
  t.throws(() => emitContract({ components: { schemas: { 'operation-info': {} } } }), /clashes with the type OperationInfo the SDK declares/);
});
