import type { EventDeclaration } from '../../../core/plugin-api/index.ts';

const identity = {
  containerId: { type: 'string', format: 'uuid' },
  name: { type: 'string' },
  source: { type: 'string', enum: ['docker', 'kubernetes', 'agent'] },
  externalId: { type: 'string' },
  at: { type: 'string', format: 'date-time' },
};

/** Container event topics (seed 004) and their payloads. */
export const containerEvents: EventDeclaration[] = [
  {
    topic: 'container.state_changed',
    description: 'A container changed state (running, stopped, …), at the runtime’s time.',
    payloadSchema: {
      type: 'object',
      required: ['containerId', 'name', 'state', 'previousState', 'at'],
      properties: {
        ...identity,
        state: { type: 'string' },
        previousState: { type: ['string', 'null'] },
        exitCode: { type: ['integer', 'null'] },
        reason: { type: ['string', 'null'] },
      },
    },
  },
  {
    topic: 'container.health_changed',
    description: 'A container’s health check status changed.',
    payloadSchema: {
      type: 'object',
      required: ['containerId', 'name', 'health', 'previousHealth', 'at'],
      properties: { ...identity, health: { type: 'string', enum: ['healthy', 'unhealthy', 'starting'] }, previousHealth: { type: ['string', 'null'] } },
    },
  },
  {
    topic: 'container.restart_alert',
    description: 'A container is in a restart loop: it started the threshold number of times within the window.',
    payloadSchema: {
      type: 'object',
      required: ['containerId', 'name', 'restarts', 'windowSeconds', 'at'],
      properties: {
        containerId: identity.containerId,
        name: identity.name,
        restarts: { type: 'integer' },
        windowSeconds: { type: 'integer' },
        restartCount: { type: 'integer' },
        at: identity.at,
      },
    },
  },
];
