import t from 'tap';
import { ContractError, mergeContract } from './contract-merge.ts';
import { checkOperationRules } from './operation-rules.ts';

const root = {
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: { '/health': { get: { operationId: 'getHealth', 'x-public': true, responses: { '200': { description: 'ok', content: {} } } } } },
  components: { schemas: { Error: { type: 'object' } } },
};
const op = (operationId: string, extra: object = {}) => ({
  operationId,
  'x-permission': 'things:read',
  responses: { '200': { description: 'ok', content: { 'application/json': { schema: {} } } }, '401': { description: 'x' }, '403': { description: 'x' } },
  ...extra,
});

t.test('fragments merge into the root, each operation stamped with its owner', async (t) => {
  const merged = mergeContract(root, [
    { owner: 'alpha', document: { paths: { '/a': { get: op('getA') } }, components: { schemas: { A: { type: 'string' } } }, tags: [{ name: 'alpha' }] } },
    { owner: 'beta', document: { paths: { '/a': { post: op('postA') }, '/b': { get: op('getB') } } } },
  ]);
  t.equal(merged.paths['/a'].get['x-plugin'], 'alpha');
  t.equal(merged.paths['/a'].post['x-plugin'], 'beta');
  t.equal(merged.paths['/health'].get['x-plugin'], 'core');
  t.same(merged.components?.schemas?.A, { type: 'string' });
  t.same(merged.tags, [{ name: 'alpha' }]);
  t.notOk((root.paths['/health'].get as Record<string, unknown>)['x-plugin'], 'the root document is not mutated');
});

t.test('duplicates fail with both owners named', async (t) => {
  const error = t.throws(() =>
    mergeContract(root, [
      { owner: 'alpha', document: { paths: { '/a': { get: op('getThing') } }, components: { schemas: { Shared: {} } } } },
      { owner: 'beta', document: { paths: { '/a': { get: op('other') }, '/b': { get: op('getThing') } }, components: { schemas: { Shared: {}, Error: {} } } } },
    ]),
  ) as ContractError;
  t.ok(error instanceof ContractError);
  t.match(error.problems, [
    'GET /a is defined by both alpha and beta',
    'operationId "getThing" is defined by both alpha and beta',
    'component schemas/Shared is defined by both alpha and beta',
    'component schemas/Error is defined by both core and beta',
  ]);
});

t.test('operation rules', async (t) => {
  const known = new Set(['things:read']);
  t.same(checkOperationRules({ paths: { '/a': { get: op('getA') } } }, 'p', known), []);
  const problems = checkOperationRules(
    {
      paths: {
        '/none': { get: { operationId: 'none', responses: { '200': { description: 'x', content: {} } } } },
        '/both': { get: { ...op('both'), 'x-public': true } },
        '/unknown': { get: op('unknown', { 'x-permission': 'secrets:read' }) },
        '/shape': { get: op('shape', { 'x-permission': 'NotAPermission' }) },
        '/noid': { get: { ...op('x'), operationId: undefined } },
        '/input': { post: op('input', { requestBody: { content: { 'application/json': { schema: {} } } } }) },
        '/errors': { get: { operationId: 'errors', 'x-permission': 'things:read', responses: { '204': { description: 'x' } } } },
        '/idem': { get: op('idem', { 'x-idempotency': 'required' }), post: op('idem2', { 'x-idempotency': 'always' }) },
      },
    },
    'plugin p',
    known,
  );
  const text = problems.join('\n');
  t.match(text, /GET \/none declares neither x-permission nor x-public/);
  t.match(text, /GET \/both declares both x-permission and x-public/);
  t.match(text, /requires permission "secrets:read", which no manifest declares/);
  t.match(text, /has x-permission "NotAPermission"; expected resource:action/);
  t.match(text, /GET \/noid has no operationId/);
  t.match(text, /POST \/input takes input but does not document 400/);
  t.match(text, /GET \/errors does not document 401/);
  t.match(text, /GET \/idem requires an Idempotency-Key on a method that does not change anything/);
  t.match(text, /POST \/idem has x-idempotency "always"; expected required or optional/);
});
