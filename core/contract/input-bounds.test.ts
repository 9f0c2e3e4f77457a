import t from 'tap';
import { checkInputBounds } from './input-bounds.ts';

const document = (offset: Record<string, unknown>, count: Record<string, unknown>) => ({
  paths: {
    '/things': {
      post: {
        'x-plugin': 'p',
        parameters: [{ $ref: '#/components/parameters/Offset' }, { name: 'q', in: 'query', schema: { type: 'string' } }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } },
      },
    },
  },
  components: {
    parameters: { Offset: { name: 'offset', in: 'query', schema: offset } },
    schemas: { Thing: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { count } } } } } },
  },
});

t.test('an integer or string a caller sends without a bound fails the contract build', async (t) => {
  t.same(checkInputBounds(document({ type: 'integer', minimum: 0 }, { type: ['integer', 'null'], maximum: 5 })), [
    'p: POST /things: query parameter offset (integer without maximum)',
    'p: POST /things: query parameter q (string without maxLength)',
    'p: POST /things: application/json body.items[].count (integer without minimum)',
  ]);
});
