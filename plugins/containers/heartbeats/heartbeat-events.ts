import type { EventDeclaration } from '../../../core/plugin-api/index.ts';

const status = { type: 'string', enum: ['new', 'up', 'late', 'down', 'paused'] };
const time = { type: ['string', 'null'], format: 'date-time' };
const id = { type: 'string', format: 'uuid' };
const at = { type: 'string', format: 'date-time' };

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
  {
    topic: 'heartbeat.paused',
    description:
      'A heartbeat was paused (POST /api/v1/heartbeats/{id}/pause): it no longer times out and its open runs are dropped; `status` is `paused`, `previousStatus` what it was before, `at` when. Pausing a paused heartbeat publishes nothing.',
    payloadSchema: {
      type: 'object',
      required: ['heartbeatId', 'name', 'status', 'previousStatus', 'at'],
      properties: { heartbeatId: id, name: { type: 'string' }, status: { const: 'paused' }, previousStatus: status, at },
    },
  },
  {
    topic: 'heartbeat.resumed',
    description:
      'A paused heartbeat was resumed (POST /api/v1/heartbeats/{id}/resume): `status` is `new` until its next ping (`heartbeat.pinged`), and it does not time out before that ping; `at` is when it was resumed.',
    payloadSchema: {
      type: 'object',
      required: ['heartbeatId', 'name', 'status', 'previousStatus', 'at'],
      properties: { heartbeatId: id, name: { type: 'string' }, status: { const: 'new' }, previousStatus: { const: 'paused' }, at },
    },
  },
  {
    topic: 'heartbeat.deleted',
    description:
      'A heartbeat was deleted with its pings and history (DELETE /api/v1/heartbeats/{id}); its ping uuid answers 404 from then on. It has no status any more: `previousStatus` is the status it had when deleted, `at` when it was deleted.',
    payloadSchema: {
      type: 'object',
      required: ['heartbeatId', 'name', 'previousStatus', 'at'],
      properties: { heartbeatId: id, name: { type: 'string' }, previousStatus: status, at },
    },
  },
];
