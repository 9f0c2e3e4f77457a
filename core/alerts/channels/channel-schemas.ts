import type { ChannelField, ChannelType } from './channel-type.ts';
import { channelTypes } from './index.ts';

/**
 * The channel types' settings as contract schemas, written from the same data that validates them
 * (`fields`), so the contract, the SDK's types and `GET /api/v1/channel-types` cannot disagree and a
 * new channel type stays one file. The alerts fragment names `ChannelType` and `ChannelCreate`;
 * these fill them in when the core contract is assembled.
 */

const pascal = (type: string) => type.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
export const configSchemaName = (type: ChannelType) => `${pascal(type.type)}ChannelConfig`;
const createSchemaName = (type: ChannelType) => `${pascal(type.type)}ChannelCreate`;

function fieldSchema(field: ChannelField): Record<string, unknown> {
  const value: Record<string, unknown> =
    field.kind === 'integer'
      ? { type: 'integer', minimum: field.minimum ?? -1_000_000, maximum: field.maximum ?? 1_000_000 }
      : field.kind === 'enum'
        ? { type: 'string', enum: [...(field.values ?? [])] }
        : { type: 'string', ...(field.kind === 'url' ? { format: 'uri' } : { minLength: 1 }), maxLength: field.maxLength ?? 2048 };
  return {
    ...value,
    // An optional setting may be sent as null: the same as leaving it out.
    ...(field.required ? {} : { type: [value.type as string, 'null'] }),
    description: field.secret ? `${field.description}. Secret: stored, shown masked.` : field.description,
    ...(field.secret ? { writeOnly: true } : {}),
    ...(field.default !== undefined ? { default: field.default } : {}),
  };
}

function configSchema(type: ChannelType): Record<string, unknown> {
  // `url` may come as the create body's shorthand instead, so the schema cannot require it here.
  const required = type.fields.filter((f) => f.required && f.name !== 'url').map((f) => f.name);
  return {
    type: 'object',
    description: `Settings of a ${type.title} channel.`,
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
    properties: Object.fromEntries(type.fields.map((f) => [f.name, fieldSchema(f)])),
  };
}

function createSchema(type: ChannelType): Record<string, unknown> {
  const configRequired = type.fields.some((f) => f.required && f.name !== 'url');
  const hasUrl = type.fields.some((f) => f.name === 'url');
  return {
    type: 'object',
    title: type.title,
    required: ['name', 'type', ...(configRequired ? ['config'] : [])],
    additionalProperties: false,
    properties: {
      name: { $ref: '#/components/schemas/ChannelName' },
      type: { type: 'string', const: type.type },
      ...(hasUrl ? { url: { type: 'string', format: 'uri', maxLength: 2048, description: 'Shorthand for `config.url`.' } } : {}),
      config: { $ref: `#/components/schemas/${configSchemaName(type)}` },
      description: { type: 'string', maxLength: 500 },
      enabled: { type: 'boolean', default: true },
    },
  };
}

/** The alerts fragment with the channel types' schemas filled in. */
export function withChannelSchemas<Document extends { components?: { schemas?: Record<string, unknown> } }>(document: Document): Document {
  const schemas: Record<string, unknown> = { ...(document.components?.schemas ?? {}) };
  schemas.ChannelType = { type: 'string', enum: channelTypes.map((t) => t.type) };
  for (const type of channelTypes) {
    schemas[configSchemaName(type)] = configSchema(type);
    schemas[createSchemaName(type)] = createSchema(type);
  }
  schemas.ChannelCreate = {
    description: 'A new channel: its `type` decides which settings `config` takes.',
    oneOf: channelTypes.map((t) => ({ $ref: `#/components/schemas/${createSchemaName(t)}` })),
    // No `mapping`: ajv refuses it, and each branch names its type as a `const` anyway.
    discriminator: { propertyName: 'type' },
  };
  return { ...document, components: { ...document.components, schemas } };
}
