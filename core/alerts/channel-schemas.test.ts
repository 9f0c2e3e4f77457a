import t from 'tap';
import { call } from '../plugin-api/testing.ts';
import { startWorld } from '../testing/identity-fixtures.ts';
import { channelTypes } from './channels/index.ts';

// The contract carries each channel type's settings as a schema written from the type's own data,
// so SDK users get a typed `config` per type and the server refuses what the schema refuses.

t.test('the served contract has one config schema per channel type, from its fields', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t);
  const contract = (await call(kernel, 'GET', '/api/v1/openapi', { headers: acmeAdmin.headers })).json;
  const schemas = contract.components.schemas;
  t.same(
    schemas.ChannelType.enum,
    channelTypes.map((c) => c.type),
    'the type enum is the list of declared types',
  );
  t.match(schemas.PagerdutyChannelConfig, {
    additionalProperties: false,
    required: ['routingKey'],
    properties: {
      routingKey: { type: 'string', maxLength: 64, writeOnly: true },
      eventsUrl: { type: ['string', 'null'], format: 'uri', default: 'https://events.pagerduty.com/v2/enqueue' },
    },
  });
  t.match(schemas.TeamsWorkflowChannelConfig, { properties: { url: { format: 'uri' } } }, 'kebab-case types get PascalCase names');
  t.equal(schemas.ChannelCreate.oneOf.length, channelTypes.length);
  t.equal(schemas.ChannelCreate.discriminator.propertyName, 'type');
  const create = contract.paths['/api/v1/channels'].post.requestBody.content['application/json'].schema;
  t.same(create, { $ref: '#/components/schemas/ChannelCreate' });
});

t.test('a create is checked against its type’s schema', async (t) => {
  const { kernel, acmeAdmin } = await startWorld(t);
  const create = (body: Record<string, unknown>) => call(kernel, 'POST', '/api/v1/channels', { headers: acmeAdmin.headers, body });

  const ok = await create({ name: 'on call', type: 'pagerduty', config: { routingKey: 'R0UTINGKEY0123456789' } });
  t.equal(ok.status, 201, ok.text);
  t.match(ok.json.config, { routingKey: '…6789' }, 'the secret is masked');
  t.equal((await create({ name: 'chat', type: 'slack', url: 'https://hooks.slack.com/services/T/B/x' })).status, 201, 'the url shorthand still works');

  const wrongType = await create({ name: 'x', type: 'pagerduty', config: { routingKey: 42 } });
  t.equal(wrongType.status, 400);
  t.match(JSON.stringify(wrongType.json.error.details), /routingKey/, 'the error names the setting');
  const unknownSetting = await create({ name: 'x', type: 'ntfy', config: { topic: 'alerts', colour: 'red' } });
  t.equal(unknownSetting.status, 400, 'a setting the type does not have');
  const missing = await create({ name: 'x', type: 'telegram', config: { botToken: 'abc' } });
  t.equal(missing.status, 400, 'a required setting left out');
  t.match(JSON.stringify(missing.json.error.details), /chatId/);
  t.equal((await create({ name: 'x', type: 'carrier-pigeon', config: {} })).status, 400, 'a type that does not exist');
  t.equal((await create({ name: 'x', type: 'gotify', config: { serverUrl: 'not a url', appToken: 't' } })).status, 400, 'a URL that is none');

  const listed = await call(kernel, 'GET', '/api/v1/channels', { headers: acmeAdmin.headers });
  t.equal(listed.json.data.length, 2, 'nothing refused was stored');
});
