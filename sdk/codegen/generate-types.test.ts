import t from 'tap';
import { flattenOverridingAllOf, generateEventTypes, generateTypes } from './generate-types.ts';

const listContract = () => ({
  openapi: '3.1.0',
  info: { title: 't', version: '1' },
  paths: {},
  components: {
    schemas: {
      ListEnvelope: {
        type: 'object',
        required: ['data', 'page'],
        properties: { data: { type: 'array', items: {} }, page: { type: 'object', properties: { total: { type: 'integer' } } } },
      },
      Thing: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
      ThingList: {
        allOf: [{ $ref: '#/components/schemas/ListEnvelope' }, { properties: { data: { type: 'array', items: { $ref: '#/components/schemas/Thing' } } } }],
      },
      Named: { allOf: [{ $ref: '#/components/schemas/Thing' }, { type: 'object', properties: { name: { type: 'string' } } }] },
    },
  },
});

t.test('an allOf whose later member redefines a property becomes one object, later definitions winning', async (t) => {
  const flattened = flattenOverridingAllOf(listContract());
  t.same(flattened.components.schemas.ThingList, {
    type: 'object',
    properties: {
      data: { type: 'array', items: { $ref: '#/components/schemas/Thing' } },
      page: { type: 'object', properties: { total: { type: 'integer' } } },
    },
    required: ['data', 'page'],
  });
  t.ok(flattened.components.schemas.Named.allOf, 'an allOf without a conflict is left alone');
});

t.test('list items are typed, not unknown', async (t) => {
  const text = await generateTypes(listContract());
  t.match(text, /ThingList: \{\s+data: components\["schemas"\]\["Thing"\]\[\];/, 'data is Thing[]');
  t.notMatch(text, /ListEnvelope"\] &/, 'no intersection with the envelope');
  t.match(text, /export type ThingList = components\['schemas'\]\['ThingList'\];/, 'an alias per schema');
});

t.test('event payloads are typed per topic', async (t) => {
  const text = await generateEventTypes([
    { topic: 'thing.created', payloadSchema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } },
    { topic: 'thing.opaque' },
  ]);
  t.match(text, /["']thing\.created["']: \{\s+id: string;/);
  t.match(text, /"thing\.created": components\['schemas'\]\["thing\.created"\];/);
  t.match(text, /"thing\.opaque": unknown;/);
});
