import type { Principal } from '../plugin-api/index.ts';

/**
 * Published (as a platform event, without a tenant) in the transaction that narrows someone's
 * access: an API key revoked, a member removed or given another role, a logout, a refresh-token
 * family revoked. Every node hears it through the event bus and drops what it cached about those
 * principals, adds ended sessions to its revocation list, and closes their open streams.
 */
export const accessChangedTopic = 'identity.access_changed';

export interface AccessChange {
  reason: 'api_key_revoked' | 'member_changed' | 'member_removed' | 'logout' | 'session_revoked';
  /** The workspace concerned, when the change is within one. */
  tenantId?: string;
  userIds?: string[];
  /** Keys revoked, and keys whose creator's access changed (they are bound by it). */
  keyIds?: string[];
  /** Refresh-token families (sessions) ended; their access tokens are refused until they expire. */
  sessionIds?: string[];
}

export const accessChangeSchema = {
  type: 'object',
  required: ['reason'],
  properties: {
    reason: { type: 'string' },
    tenantId: { type: 'string' },
    userIds: { type: 'array', items: { type: 'string' } },
    keyIds: { type: 'array', items: { type: 'string' } },
    sessionIds: { type: 'array', items: { type: 'string' } },
  },
} as const;

/**
 * Whether a stream opened by `principal` may act beyond what it is now allowed after the change. A
 * stream that may is closed; its client reconnects and is authenticated and authorized afresh.
 */
export function mayAffect(change: AccessChange, principal: Principal | null | undefined): boolean {
  if (!principal) return false;
  if (principal.kind === 'api_key') return change.keyIds?.includes(principal.id) ?? false;
  if (principal.kind === 'user') return change.userIds?.includes(principal.id) ?? false;
  return false;
}

/** Tells stream holders (graphql-ws) when access changed; the platform's AccessControl offers it. */
export interface AccessWatch {
  onAccessChange(listener: (change: AccessChange) => void): () => void;
}

export function canWatch(access: object): access is AccessWatch {
  return typeof (access as Partial<AccessWatch>).onAccessChange === 'function';
}
