import t from 'tap';
import { buildSchema, coreSdl } from './schema-builder.ts';

const core = { owner: 'core', sdl: coreSdl() };

t.test('plugins extend the core types and use its list types', async (t) => {
  const schema = buildSchema(
    [
      core,
      { owner: 'alpha', sdl: 'type AlphaList { page: ListPage! sort: ListSort! } extend type Query { alphas: AlphaList! }' },
      { owner: 'beta', sdl: 'extend type Query { betas: [String!]! } extend type Subscription { betaChanged: String! }' },
    ],
    [],
  );
  t.ok(schema.getQueryType()?.getFields().alphas);
  t.ok(schema.getQueryType()?.getFields().betas);
  t.ok(schema.getType('ListPage'), 'ListPage is core’s');
});

t.test('a type defined, or a field declared, by two owners fails naming both', async (t) => {
  t.throws(
    () => buildSchema([core, { owner: 'alpha', sdl: 'type Page { n: Int }' }, { owner: 'beta', sdl: 'type Page { m: Int }' }], []),
    /GraphQL type Page is defined by both alpha and beta/,
  );
  t.throws(() => buildSchema([core, { owner: 'alpha', sdl: 'type ListPage { n: Int }' }], []), /GraphQL type ListPage is defined by both core and alpha/);
  t.throws(
    () => buildSchema([core, { owner: 'alpha', sdl: 'extend type Query { stats: Int }' }, { owner: 'beta', sdl: 'extend type Query { stats: Int }' }], []),
    /GraphQL field Query.stats is declared by both alpha and beta/,
  );
  t.throws(
    () => buildSchema([core, { owner: 'alpha', sdl: 'type A { x: Int }' }, { owner: 'beta', sdl: 'extend type A { x: Int }' }], []),
    /GraphQL field A.x is declared by both alpha and beta/,
  );
});

t.test('two owners resolving one field fail naming both', async (t) => {
  const resolver = () => 1;
  t.throws(
    () =>
      buildSchema(
        [core, { owner: 'alpha', sdl: 'extend type Query { n: Int }' }],
        [
          { owner: 'alpha', typeName: 'Query', fieldName: 'n', resolver },
          { owner: 'beta', typeName: 'Query', fieldName: 'n', resolver },
        ],
      ),
    /GraphQL field Query.n is resolved by both alpha and beta/,
  );
});
