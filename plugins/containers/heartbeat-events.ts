import type { EventDeclaration } from '../../core/plugin-api/index.ts';

const status = { type: 'string', enum: ['new', 'up', 'late', 'down', 'paused'] };
const time = { type: ['string', 'null'], format: 'date-time' };

/** Heartbeat event topics (seed 004) and their payloads. */
export const heartbeatEvents: EventDeclaration[] = [
  {
    topic: 'heartbeat.pinged',
    description:
      'A ping was received. Published when the ping changes the heartbeat’s status, otherwise at most once per heartbeat per minute (every ping is in GET /api/v1/heartbeats/{id}/pings).',
    payloadSchema: {
      type: 'object',
      required: ['heartbeatId', 'name', 'kind', 'status', 'previousStatus', 'receivedAt'],
      properties: {
        heartbeatId: { type: 'string', format: 'uuid' },
        name: { type: 'string' },
        kind: { type: 'string', enum: ['success', 'fail', 'start', 'log'] },
        status,
        previousStatus: status,
        exitCode: { type: ['integer', 'null'] },
        rid: { type: ['string', 'null'] },
        durationMs: { type: ['integer', 'null'] },
        receivedAt: { type: 'string', format: 'date-time' },
      },
    },
  },
  {
    topic: 'heartbeat.deadline_missed',
    description: 'A heartbeat went down because a deadline passed: no ping by the schedule’s deadline plus grace, or a run that exceeded its start grace.',
    payloadSchema: {
      type: 'object',
      required: ['heartbeatId', 'name', 'status', 'previousStatus', 'reason', 'downAt'],
      properties: {
        heartbeatId: { type: 'string', format: 'uuid' },
        name: { type: 'string' },
        status: { const: 'down' },
        previousStatus: status,
        reason: { type: 'string' },
        expectedAt: time,
        lastPingAt: time,
        downAt: { type: 'string', format: 'date-time' },
      },
    },
  },
];
