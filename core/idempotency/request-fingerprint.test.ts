import { createHash } from 'node:crypto';
import t from 'tap';
import { requestFingerprint, sortedCopy } from './request-fingerprint.ts';

const reference = (request: { params: unknown; query: unknown; body: unknown }) =>
  createHash('sha256')
    .update(JSON.stringify(sortedCopy({ params: request.params, query: request.query, body: request.body ?? null })))
    .digest('hex');

t.test('the fingerprint hashes the sorted copy of the request, whatever the data holds', async (t) => {
  const bodies: unknown[] = [
    undefined,
    null,
    'text',
    42,
    [],
    {},
    { b: 1, a: 2, c: { z: [3, { y: 1, x: null }], a: 'é\u2028"\\' } },
    { 10: 'ten', 9: 'nine', b: true, a: false, '01': 'not an index', 4294967295: 'too big', 4294967294: 'last index' },
    { nested: [{ b: 1 }, { a: 1, b: undefined }, [undefined, () => 1, Symbol('s')]], n: [NaN, -0, 1e21, Infinity] },
    { points: Array.from({ length: 50 }, (_, i) => ({ value: i, service_id: `svc-${i}`, labels: { zone: 'a', env: 'prod' } })) },
    // The forms a property list would write otherwise: the copy decides.
    Buffer.from('raw bytes'),
    { at: new Date(0), bytes: Buffer.from([1, 2]) },
    JSON.parse('{"__proto__": {"a": 1}, "b": {"c": 2}}'),
    Object.assign(Object.create(null), { b: 2, a: 1 }),
  ];
  for (const [i, body] of bodies.entries()) {
    const request = { params: { id: 'x' }, query: { sort: 'name', limit: '5' }, body };
    t.equal(requestFingerprint(request), reference(request), `body ${i}`);
  }
});

t.test('the same data with its keys in another order is the same request, other data is not', async (t) => {
  const a = requestFingerprint({ params: {}, query: {}, body: { b: 1, a: { d: 2, c: 3 } } });
  t.equal(requestFingerprint({ params: {}, query: {}, body: { a: { c: 3, d: 2 }, b: 1 } }), a);
  t.not(requestFingerprint({ params: {}, query: {}, body: { a: { c: 3, d: 2 }, b: 2 } }), a);
  t.not(requestFingerprint({ params: {}, query: { b: '1' }, body: { a: { c: 3, d: 2 } } }), a);
});
