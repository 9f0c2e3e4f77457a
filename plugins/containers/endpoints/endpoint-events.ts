import type { EventDeclaration } from '../../../core/plugin-api/index.ts';

const endpointStatus = { type: 'string', enum: ['pending', 'up', 'down', 'paused'] };
const time = { type: 'string', format: 'date-time' };
const nullableTime = { type: ['string', 'null'], format: 'date-time' };

const endpointIdentity = {
  endpointId: { type: 'string', format: 'uuid' },
  name: { type: 'string' },
  url: { type: 'string' },
};

/** Endpoint event topics (seed 004) and their payloads. */
export const endpointEvents: EventDeclaration[] = [
  {
    topic: 'endpoint.check_result',
    description: 'An endpoint check completed: up or down, with the response time.',
    payloadSchema: {
      type: 'object',
      required: ['endpointId', 'name', 'url', 'ok', 'status', 'checkedAt'],
      properties: {
        ...endpointIdentity,
        ok: { type: 'boolean' },
        status: endpointStatus,
        responseTimeMs: { type: ['integer', 'null'] },
        statusCode: { type: ['integer', 'null'] },
        error: { type: ['string', 'null'] },
        consecutiveFailures: { type: 'integer' },
        checkedAt: time,
      },
    },
  },
  {
    topic: 'endpoint.alert',
    description: 'An endpoint failed failureThreshold consecutive checks and is down.',
    payloadSchema: {
      type: 'object',
      required: ['endpointId', 'name', 'url', 'status', 'previousStatus', 'consecutiveFailures', 'downSince'],
      properties: {
        ...endpointIdentity,
        status: { const: 'down' },
        previousStatus: endpointStatus,
        consecutiveFailures: { type: 'integer' },
        error: { type: ['string', 'null'] },
        downSince: { ...time, description: 'The first failed check of the streak.' },
      },
    },
  },
  {
    topic: 'endpoint.recovery',
    description: 'A down endpoint passed a check again.',
    payloadSchema: {
      type: 'object',
      required: ['endpointId', 'name', 'url', 'status', 'previousStatus', 'recoveredAt'],
      properties: {
        ...endpointIdentity,
        status: { const: 'up' },
        previousStatus: { const: 'down' },
        responseTimeMs: { type: ['integer', 'null'] },
        downSince: nullableTime,
        recoveredAt: time,
      },
    },
  },
];

const certificateIdentity = {
  certificateId: { type: 'string', format: 'uuid' },
  name: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'integer' },
  serverName: { type: 'string' },
};

const certificateStatus = { type: 'string', enum: ['pending', 'valid', 'expiring', 'expired', 'invalid', 'error'] };

/** Certificate event topics (seed 004, and check results as endpoints have them) and their payloads. */
export const certificateEvents: EventDeclaration[] = [
  {
    topic: 'certificate.check_result',
    description: 'A certificate check completed: the status it left (a failed handshake is `error`, which raises no alert by itself), with the days left.',
    payloadSchema: {
      type: 'object',
      required: ['certificateId', 'name', 'host', 'port', 'serverName', 'ok', 'status', 'previousStatus', 'checkedAt'],
      properties: {
        ...certificateIdentity,
        ok: { type: 'boolean', description: 'The handshake succeeded.' },
        status: certificateStatus,
        previousStatus: certificateStatus,
        daysLeft: { type: ['number', 'null'] },
        notAfter: nullableTime,
        error: { type: ['string', 'null'] },
        checkedAt: time,
      },
    },
  },
  {
    topic: 'certificate.alert',
    description: 'A certificate crossed a warning threshold (days before expiry), expired, or became invalid (chain or name).',
    payloadSchema: {
      type: 'object',
      required: ['certificateId', 'name', 'host', 'port', 'serverName', 'kind', 'status'],
      properties: {
        ...certificateIdentity,
        kind: { type: 'string', enum: ['expiring', 'expired', 'invalid'] },
        status: { type: 'string', enum: ['expiring', 'expired', 'invalid', 'error'] },
        thresholdDays: { type: ['integer', 'null'], description: 'For `expiring`: the warning threshold crossed.' },
        daysLeft: { type: ['number', 'null'] },
        notAfter: nullableTime,
        reason: { type: ['string', 'null'] },
        fingerprint256: { type: ['string', 'null'] },
      },
    },
  },
  {
    topic: 'certificate.recovery',
    description: 'A certificate that had warned is valid and outside every warning threshold again (renewed or fixed).',
    payloadSchema: {
      type: 'object',
      required: ['certificateId', 'name', 'host', 'port', 'serverName', 'previousKind'],
      properties: {
        ...certificateIdentity,
        previousKind: { type: 'string', enum: ['expiring', 'expired', 'invalid'] },
        daysLeft: { type: ['number', 'null'] },
        notAfter: nullableTime,
        fingerprint256: { type: ['string', 'null'] },
      },
    },
  },
];
