import type { EventDeclaration } from '../../core/plugin-api/index.ts';

const object = (required: string[]) => ({ type: 'object', required });

export const portalEvents: EventDeclaration[] = [
  { topic: 'portal.invite_created', description: 'Someone of a client was invited to the portal', payloadSchema: object(['inviteId', 'clientId', 'email']) },
  { topic: 'portal.invite_revoked', description: 'A portal invite was revoked', payloadSchema: object(['inviteId', 'clientId']) },
  {
    topic: 'portal.session_token_issued',
    description: 'Staff issued a single-use token that opens a portal session for a client',
    payloadSchema: object(['sessionTokenId', 'clientId', 'email', 'createdBy']),
  },
  {
    topic: 'portal.session_started',
    description: 'An invite or a staff-issued token was exchanged for a portal session',
    payloadSchema: object(['sessionId', 'clientId', 'email']),
  },
  { topic: 'portal.session_ended', description: 'A portal session was terminated', payloadSchema: object(['sessionId', 'clientId']) },
  {
    topic: 'portal.quote_decided',
    description: 'A client accepted or declined a quote in the portal (the audit trail records who, when and why)',
    payloadSchema: object(['quoteId', 'clientId', 'decision', 'decidedBy']),
  },
  {
    topic: 'portal.invoice_acknowledged',
    description: 'A client acknowledged an invoice in the portal',
    payloadSchema: object(['invoiceId', 'clientId', 'acknowledgedBy']),
  },
  {
    topic: 'portal.payment_intent_created',
    description: 'A client started paying an invoice through a payment provider',
    payloadSchema: object(['paymentId', 'invoiceId', 'provider', 'amountMinor', 'currency']),
  },
  {
    topic: 'portal.payment_succeeded',
    description: 'A payment arrived and was credited to its invoice',
    payloadSchema: object(['paymentId', 'invoiceId', 'amountMinor', 'currency']),
  },
  {
    topic: 'invoice.overdue',
    description: 'An issued invoice passed its due date unpaid (the daily sweep; once per invoice)',
    payloadSchema: object(['invoiceId', 'number', 'clientId', 'dueAt', 'balanceMinor', 'currency']),
  },
];
