import type { EventDeclaration } from '../../core/plugin-api/index.ts';

const ticketPayload = { type: 'object', required: ['ticket'], properties: { ticket: { type: 'object', required: ['id', 'status', 'priority', 'version'] } } };
const slaPayload = {
  type: 'object',
  required: ['ticketId', 'clock', 'dueAt'],
  properties: { ticketId: { type: 'string' }, clock: { type: 'string', enum: ['first_response', 'resolution'] }, dueAt: { type: 'string' } },
};

/**
 * Opening a ticket is one event under two public names, and both are written, in the creating
 * transaction, with one payload. Seed 003 lists `ticket.created` among the workspace API's event
 * topics (webhook subscriptions, SSE, the outbox); seed 001 lists `ticket:created` among the
 * events of its WebSocket subscriptions (core's GraphQL `ticketCreated` follows it, and
 * `events(topics:)` takes it by that name). Integrations written against either seed filter on
 * their own name, so neither is an alias that could be dropped. Seed 003 names no topic for
 * updates and deletes: those have seed 001's names only (`ticket:updated`, `ticket:deleted`).
 */
export const ticketCreatedTopics = ['ticket.created', 'ticket:created'] as const;

/**
 * The events the ticketing plugin publishes: seed 003's topics (`ticket.created`,
 * `ticket.sla_breached`, `asset.state_changed`), seed 001's WebSocket events (`ticket:created`,
 * `ticket:updated`, `ticket:deleted`, which core's GraphQL subscriptions follow) and the SLA's
 * at-risk notice.
 */
export const ticketingEvents: EventDeclaration[] = [
  { topic: 'ticket.created', description: 'A ticket was opened (through the API, an ops action or an alert rule).', payloadSchema: ticketPayload },
  {
    topic: 'ticket:created',
    description: "Seed 001's WebSocket name of ticket.created (GraphQL's ticketCreated); published with it, see ticketCreatedTopics.",
    payloadSchema: ticketPayload,
  },
  { topic: 'ticket:updated', description: 'A ticket changed or was commented on; `changes` names what (GraphQL ticketUpdated).', payloadSchema: ticketPayload },
  { topic: 'ticket:deleted', description: 'A ticket was deleted (GraphQL ticketDeleted).', payloadSchema: { type: 'object', required: ['id'] } },
  { topic: 'ticket.sla_at_risk', description: '75 % of a ticket SLA target (first response or resolution) elapsed.', payloadSchema: slaPayload },
  { topic: 'ticket.sla_breached', description: 'A ticket SLA target (first response or resolution) was missed.', payloadSchema: slaPayload },
  {
    topic: 'asset.state_changed',
    description: 'An asset moved between planned, active, maintenance and retired.',
    payloadSchema: { type: 'object', required: ['assetId', 'from', 'to'] },
  },
];
