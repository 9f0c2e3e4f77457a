import type { EventDeclaration } from '../plugin-api/index.ts';

/**
 * What the secrets store publishes, through the outbox in the transaction that read or wrote the
 * secret, so an audit trail records every access that happened and none that rolled back. Payloads
 * name the secret and who acted, never its value.
 */
export const secretReadTopic = 'secrets.read';
export const secretWrittenTopic = 'secrets.written';
export const masterKeyRotatedTopic = 'secrets.master_key_rotated';

const accessPayload = {
  type: 'object',
  required: ['scope', 'key', 'version', 'actor'],
  additionalProperties: false,
  properties: {
    scope: { type: 'string', enum: ['platform', 'workspace'] },
    key: { type: 'string' },
    version: { type: 'integer' },
    actor: { type: 'string', description: '`user:<id>`, `api_key:<id>`, `plugin:<id>` or `core:<feature>`' },
    deleted: { type: 'boolean', description: 'Present and true when the secret was deleted (with what it belonged to, e.g. a webhook).' },
  },
} as const;

export const secretEventTopics: EventDeclaration[] = [
  { topic: secretReadTopic, description: 'A secret’s value was read (by a plugin or a core feature).', payloadSchema: accessPayload },
  { topic: secretWrittenTopic, description: 'A secret was set (a new version exists), or deleted (`deleted: true`).', payloadSchema: accessPayload },
  {
    topic: masterKeyRotatedTopic,
    description: 'Every data key was re-wrapped by another master key (values unchanged).',
    payloadSchema: {
      type: 'object',
      required: ['from', 'to', 'rewrapped'],
      properties: { from: { type: 'array', items: { type: 'string' } }, to: { type: 'string' }, rewrapped: { type: 'integer' } },
    },
  },
];
