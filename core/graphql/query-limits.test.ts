import type { Server } from 'node:http';
import { buildSchema } from 'graphql';
import t from 'tap';
import { setQueryLimits, wsQueryLimitOptions } from './query-limits.ts';
import { loadConfig } from '../config/config.ts';
import { startTestKernel } from '../plugin-api/testing.ts';
import examplePlugin from '../testing/example-plugin/plugin.ts';

const post = (url: string, query: string) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as any,
  }));

t.test('an operation too costly or too deep is refused before anything runs', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin], env: { ITOPS_GRAPHQL_MAX_DEPTH: '5', ITOPS_GRAPHQL_MAX_COST: '500' } });

  const aliases = Array.from({ length: 5000 }, (_, i) => `p${i}: plugins { id }`).join(' ');
  const costly = await post(kernel.url, `{ ${aliases} }`);
  t.equal(costly.status, 400, '5,000 aliased list fields');
  t.equal(costly.json.errors?.[0]?.extensions?.code, 'query_too_complex', costly.json.errors?.[0]?.message);
  t.notOk(costly.json.data, 'nothing was executed');

  const deep = await post(kernel.url, '{ __type(name: "Query") { fields { type { ofType { ofType { ofType { name } } } } } } }');
  t.equal(deep.status, 400, 'nesting past the depth limit');
  t.equal(deep.json.errors?.[0]?.extensions?.code, 'query_too_complex');

  const huge = await post(kernel.url, `${'{ a '.repeat(30000)}${'}'.repeat(30000)}`);
  t.equal(huge.status, 400, 'a document nested 30,000 deep is no stack overflow');
  t.equal(huge.json.errors?.[0]?.extensions?.code, 'query_too_complex');

  const fine = await post(kernel.url, '{ health { status } plugins { id version } }');
  t.equal(fine.status, 200, 'an ordinary query still runs');
  t.same(fine.json.data.health, { status: 'ok' });
});

t.test('introspection can be switched off, and is off by default in production', async (t) => {
  const kernel = await startTestKernel(t, { plugins: [examplePlugin], env: { ITOPS_GRAPHQL_INTROSPECTION: 'false' } });
  const schema = await post(kernel.url, '{ __schema { queryType { name } } }');
  t.equal(schema.status, 400);
  t.equal(schema.json.errors?.[0]?.extensions?.code, 'introspection_disabled');
  const typename = await post(kernel.url, '{ __typename }');
  t.same(typename.json.data, { __typename: 'Query' }, '__typename is no introspection');

  const secret = 'x'.repeat(32);
  t.equal(loadConfig({ NODE_ENV: 'production', ITOPS_JWT_SECRET: secret }).config.graphqlIntrospection, false);
  t.equal(loadConfig({ NODE_ENV: 'production', ITOPS_JWT_SECRET: secret, ITOPS_GRAPHQL_INTROSPECTION: 'true' }).config.graphqlIntrospection, true);
  t.equal(loadConfig({ NODE_ENV: 'development' }).config.graphqlIntrospection, true);
});

t.test('GraphQL over WebSocket gets the same parse and validation limits as the server', async (t) => {
  const server = {} as Server;
  setQueryLimits(server, { maxDepth: 3, maxCost: 11, listFactor: 10, introspection: false });
  const { parse, validate } = wsQueryLimitOptions(server);
  const schema = buildSchema('type Item { id: ID! items: [Item!]! } type Query { items: [Item!]! }');
  const codes = (query: string) => validate(schema, parse(query)).map((e) => e.extensions.code);
  t.same(codes('{ items { id } }'), [], 'within the limits');
  t.ok(codes('{ items { items { items { id } } } }').includes('query_too_complex'), 'too deep');
  t.same(codes('{ a: items { id } b: items { id } }'), ['query_too_complex'], 'too costly: aliases count');
  t.same(codes('{ __schema { queryType { name } } }'), ['introspection_disabled'], 'no introspection');
  t.throws(() => parse(`${'{ a '.repeat(30000)}${'}'.repeat(30000)}`), /tokens|nested too deeply/, 'a huge document is refused by the parser');
});
