/**
 * Security events: what identity does that an access review or an incident responder asks about
 * (logins, failed logins, API keys created and revoked, roles changed, members removed). Each is an
 * outbox event published in the transaction that makes the change, so mutation observers (the
 * audit trail) record it with that change or not at all; a failed login changes nothing and is
 * published in a transaction of its own.
 */
import type { Tx } from '../db/sql-handles.ts';
import type { EventDeclaration } from '../plugin-api/index.ts';

export interface SecurityEvent {
  topic: SecurityTopic;
  /** The workspace concerned; null for platform-wide events (a failed login of an unknown account). */
  tenantId: string | null;
  payload: Record<string, unknown>;
}

/** Publishes in `tx`, or in a platform transaction of its own when there is none. */
export type RecordSecurityEvent = (tx: Tx | null, event: SecurityEvent) => Promise<void>;

const topics = {
  'security.login_succeeded': 'Someone logged in (one event per workspace they belong to).',
  'security.login_failed': 'A login was refused (wrong password, unknown or disabled account).',
  'security.api_key_created': 'An API key was created in the workspace.',
  'security.api_key_revoked': 'An API key was revoked.',
  'security.role_changed': 'A member was added to the workspace or their role changed.',
  'security.member_removed': 'A member was removed from the workspace.',
} as const;

export type SecurityTopic = keyof typeof topics;

export const securityEventTopics: EventDeclaration[] = Object.entries(topics).map(([topic, description]) => ({
  topic,
  description,
  payloadSchema: { type: 'object' },
}));
