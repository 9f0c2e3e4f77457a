import t from 'tap';
import { parseQuery } from './query-string.ts';

/** Koa's own reading (koa/lib/search-params.js): URLSearchParams, getAll per name. */
function koaQuery(querystring: string): Record<string, unknown> {
  const params = new URLSearchParams(querystring);
  const query: Record<string, unknown> = {};
  for (const name of params.keys()) {
    const values = params.getAll(name);
    Object.defineProperty(query, name, { value: values.length <= 1 ? values[0] : values, writable: true, enumerable: true, configurable: true });
  }
  return query;
}

t.test('reads a query string as Koa does', async (t) => {
  const cases = [
    '',
    'times=2',
    'a=1&b=2',
    'a=1&a=2&b=x&a=3',
    'flag',
    'flag=',
    '=orphan',
    'a=1&&b=2&',
    '&&',
    'x=y=z',
    'a+b=c+d',
    'q=%20%2B%26%3D',
    'name=%E2%82%AC%20caf%C3%A9',
    '__proto__=x',
    '__proto__=x&__proto__=y',
    'constructor=1&hasOwnProperty=2&toString=3',
    'status=open&status=closed&limit=50&cursor=abc%3D%3D',
  ];
  for (const q of cases) {
    const parsed = parseQuery(q);
    t.same(parsed, koaQuery(q), q || '(empty)');
    t.same(Object.keys(parsed), Object.keys(koaQuery(q)), `${q || '(empty)'}: same names in the same order`);
  }
  t.equal(Object.getPrototypeOf(parseQuery('__proto__=x')), Object.prototype, 'a name never sets the prototype');
});

t.test('a query that is not percent-encoded UTF-8 reads as URLSearchParams reads it', async (t) => {
  for (const q of ['a=%', 'a=%zz&b=1', 'a=%FF', 'a=%E2%82']) t.same(parseQuery(q), koaQuery(q), q);
});
