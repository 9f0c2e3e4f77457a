import t from 'tap';
import { compare, lookup, parsePath, referencesIn, resolve } from './expressions.ts';

const scope = { input: { service: 'db', count: 3, tags: ['a', 'b'] }, vars: {}, steps: { call: { output: { status: 200, body: { items: [{ id: 7 }] } } } } };

t.test('references walk plain data only', async (t) => {
  t.same(parsePath('$.steps.call.output.body.items[0].id'), ['steps', 'call', 'output', 'body', 'items', 0, 'id']);
  t.equal(parsePath('$.a..b'), null);
  t.equal(parsePath('$.a;process.exit()'), null);
  t.equal(lookup(scope, '$.steps.call.output.body.items[0].id'), 7);
  t.equal(lookup(scope, '$.input.constructor'), undefined, 'no prototype members');
  t.equal(lookup(scope, '$.input.__proto__'), undefined);
  t.equal(lookup(scope, '$.input.tags.length'), 2, "an array's own length is data");
  t.equal(lookup(scope, '$.input.tags.map'), undefined, 'its methods are not');
});

t.test('templates: a lone reference keeps its type, others interpolate as text', async (t) => {
  t.equal(resolve('{{ $.input.count }}', scope), 3);
  t.equal(resolve('n={{ $.input.count }} s={{$.input.service}} x={{ $.input.missing }}', scope), 'n=3 s=db x=');
  t.same(resolve({ a: ['{{ $.input.tags }}'], b: 1 }, scope), { a: [['a', 'b']], b: 1 });
  t.equal(resolve('{{ constructor }}', scope), '{{ constructor }}', 'not a reference: left as written');
  t.same(referencesIn({ a: 'x {{ $.input.a }} {{ $.vars.b }}', b: ['{{ $.steps.c.output }}'] }), ['$.input.a', '$.vars.b', '$.steps.c.output']);
});

t.test('comparisons', async (t) => {
  t.ok(compare(200, 'eq', 200));
  t.ok(compare({ a: 1 }, 'eq', { a: 1 }));
  t.ok(compare(10, 'gt', 9), 'numbers as numbers');
  t.ok(compare('10', 'lt', '9'), 'text as text');
  t.ok(compare(['a', 'b'], 'contains', 'b'));
  t.ok(compare('disk full', 'contains', 'full'));
  t.notOk(compare(undefined, 'exists', undefined));
  t.ok(compare(0, 'exists', undefined));
  t.ok(compare('a', 'ne', 'b'));
});
