import t from 'tap';
import { OperationMatcher } from './operation-matcher.ts';

const op = (method: string, path: string) => ({ method, path, id: `${method} ${path}` });
const matcher = new OperationMatcher([
  op('get', '/health'),
  op('get', '/api/v1/items'),
  op('post', '/api/v1/items'),
  op('get', '/api/v1/items/{id}'),
  op('delete', '/api/v1/items/{id}'),
  op('get', '/api/v1/items/{id}/logs'),
  op('get', '/api/v1/items/search'),
  op('get', '/files/{name}.json'),
]);

t.test('static paths, templates, specificity and decoding', async (t) => {
  t.match(matcher.match('GET', '/health'), { kind: 'matched', operation: { id: 'get /health' }, params: {} });
  t.match(matcher.match('GET', '/health/'), { kind: 'matched' }, 'a trailing slash is ignored');
  t.match(matcher.match('GET', '/api/v1/items/search'), { operation: { id: 'get /api/v1/items/search' } }, 'a static path wins over a template');
  t.match(matcher.match('GET', '/api/v1/items/a%20b'), { operation: { id: 'get /api/v1/items/{id}' }, params: { id: 'a b' } });
  t.match(matcher.match('GET', '/api/v1/items/7/logs'), { operation: { id: 'get /api/v1/items/{id}/logs' }, params: { id: '7' } });
  t.match(matcher.match('GET', '/files/report.json'), { params: { name: 'report' } });
  t.match(matcher.match('GET', '/files/reportxjson'), { kind: 'not_found' }, 'literal dots are not wildcards');
  t.match(matcher.match('GET', '/api/v1/items/7/logs/extra'), { kind: 'not_found' });
});

t.test('405 with the allowed methods (HEAD wherever GET is); HEAD falls back to GET', async (t) => {
  t.same(matcher.match('PUT', '/api/v1/items'), { kind: 'method_not_allowed', allowed: ['GET', 'POST', 'HEAD'] });
  t.same(matcher.match('PATCH', '/api/v1/items/9'), { kind: 'method_not_allowed', allowed: ['GET', 'DELETE', 'HEAD'] });
  t.match(matcher.match('HEAD', '/api/v1/items/9'), { kind: 'matched', operation: { id: 'get /api/v1/items/{id}' } });
  t.same(matcher.match('GET', '/nope'), { kind: 'not_found' });
  t.same(
    matcher.match('DELETE', '/api/v1/items/search'),
    { kind: 'method_not_allowed', allowed: ['GET', 'HEAD'] },
    "a static path's other methods are 405, not the template's operation on an item named `search`",
  );
});

t.test('of several templates matching one path, the most specific with the method wins; 405 lists them all', async (t) => {
  const overlapping = new OperationMatcher([op('get', '/t/{a}/fixed'), op('post', '/t/b/{c}'), op('get', '/t/{a}/{b}'), op('get', '/t/{id}.{format}/x')]);
  t.match(overlapping.match('GET', '/t/b/fixed'), { operation: { id: 'get /t/{a}/fixed' }, params: { a: 'b' } });
  t.match(
    overlapping.match('POST', '/t/b/fixed'),
    { operation: { id: 'post /t/b/{c}' }, params: { c: 'fixed' } },
    'a less specific template serves a method the first lacks',
  );
  t.match(overlapping.match('GET', '/t/q/r'), { operation: { id: 'get /t/{a}/{b}' }, params: { a: 'q', b: 'r' } });
  t.match(overlapping.match('GET', '/t/one.csv/x'), { operation: { id: 'get /t/{id}.{format}/x' }, params: { id: 'one', format: 'csv' } });
  t.same(overlapping.match('PUT', '/t/b/fixed'), { kind: 'method_not_allowed', allowed: ['GET', 'POST', 'HEAD'] });
  t.same(overlapping.match('GET', '/t//fixed'), { kind: 'not_found' }, 'a parameter is never empty');
});
