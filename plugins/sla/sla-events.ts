import type { EventDeclaration } from '../../core/plugin-api/index.ts';

const status = { type: 'string', enum: ['OPERATIONAL', 'DEGRADED', 'DOWN', 'MAINTENANCE', 'UNKNOWN'] };

/** The events the SLA plugin publishes (seed 001's WebSocket names, plus the report). */
export const slaEvents: EventDeclaration[] = [
  {
    topic: 'service:status_changed',
    description: 'A service changed status (agent sync, push, or its agent went silent).',
    payloadSchema: {
      type: 'object',
      required: ['serviceId', 'service', 'nodeId', 'previousStatus', 'status', 'at'],
      properties: {
        serviceId: { type: 'string' },
        service: { type: 'string' },
        nodeId: { type: 'string' },
        previousStatus: status,
        status,
        at: { type: 'string' },
      },
    },
  },
  {
    topic: 'sla:incident',
    description: 'An incident (a span of DOWN or UNKNOWN) opened or was resolved.',
    payloadSchema: {
      type: 'object',
      required: ['incidentId', 'serviceId', 'service', 'nodeId', 'state', 'startedAt', 'downtimeMinutes'],
      properties: { state: { type: 'string', enum: ['opened', 'resolved'] }, downtimeMinutes: { type: 'number' } },
    },
  },
  {
    topic: 'sla:alert',
    description: 'The SLA plugin raised or resolved an alert: service down, agent silent, storage, backup, SLA at risk or breached.',
    payloadSchema: {
      type: 'object',
      required: ['kind', 'state', 'severity', 'entityType', 'entityId', 'nodeId', 'title'],
      properties: { state: { type: 'string', enum: ['firing', 'resolved'] } },
    },
  },
  { topic: 'sla.report_generated', description: 'A daily SLA report was generated and stored.' },
  {
    topic: 'sla.services_reported',
    description: 'An agent sync added or changed services (status, replicas, message); the containers plugin keeps its container model from it.',
    payloadSchema: {
      type: 'object',
      required: ['nodeId', 'at', 'services'],
      properties: {
        nodeId: { type: 'string' },
        at: { type: 'string', format: 'date-time' },
        services: {
          type: 'array',
          items: {
            type: 'object',
            required: ['serviceId', 'name', 'status', 'missing'],
            properties: { serviceId: { type: 'string' }, name: { type: 'string' }, status, missing: { type: 'boolean' } },
          },
        },
      },
    },
  },
];
