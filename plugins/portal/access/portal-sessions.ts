import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, type EventsService, type Principal } from '../../../core/plugin-api/index.ts';
import { newToken, sessionTokenPrefix, tokenHash } from './portal-tokens.ts';

const invalid = () =>
  new AppError('unauthorized', 'The portal session is invalid, expired or ended', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });

/**
 * The bearer authenticator of `itp_` tokens. The token names its workspace, so it is looked up on
 * the platform handle, by its hash only; the caller it yields holds `client_portal` in that one workspace.
 */
export function portalSessionAuthenticator(database: DatabaseService) {
  return async (token: string): Promise<Principal> => {
    const [session] = await database.platform.query<{ id: string; tenant_id: string; email: string }>(
      `SELECT s.id, s.tenant_id, s.email FROM portal_session s JOIN portal_client c ON c.id = s.client_id
        WHERE s.token_hash = ? AND s.terminated_at IS NULL AND s.expires_at > now() AND c.status = 'active'`,
      [tokenHash(token)],
    );
    if (!session) throw invalid();
    return {
      kind: 'session',
      id: session.id,
      name: session.email,
      tenantId: session.tenant_id,
      memberships: [{ tenantId: session.tenant_id, role: 'client_portal' }],
      platformAdmin: false,
    };
  };
}

/**
 * Spends an invite and opens a session, in one transaction: two exchanges of one invite racing
 * each other cannot both succeed (the UPDATE's condition holds the row).
 */
export async function exchangeInvite(deps: { database: DatabaseService; events: EventsService; sessionMinutes: number }, inviteToken: string) {
  // The invite names the workspace, so it is found across workspaces by its hash: the platform handle.
  return deps.database.platform.transaction(async (tx) => {
    const hash = tokenHash(inviteToken);
    const [invite] = await tx.query<{ id: string; tenant_id: string; client_id: string; email: string }>(
      `UPDATE portal_invite i SET used_at = now()
         FROM portal_client c
        WHERE c.id = i.client_id AND c.status = 'active'
          AND i.token_hash = ? AND i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
        RETURNING i.id, i.tenant_id, i.client_id, i.email`,
      [hash],
    );
    if (!invite) {
      const [spent] = await tx.query('SELECT 1 FROM portal_invite WHERE token_hash = ? AND used_at IS NOT NULL', [hash]);
      if (spent) throw new AppError('conflict', 'This invite was already used; ask for a new one');
      throw new AppError('unauthorized', 'The invite is unknown, revoked or expired');
    }
    const token = newToken(sessionTokenPrefix);
    const [session] = await tx.query<{ id: string; expires_at: Date }>(
      `INSERT INTO portal_session (id, tenant_id, client_id, invite_id, email, token_hash, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, now() + make_interval(mins => ?)) RETURNING id, expires_at`,
      [randomUUID(), invite.tenant_id, invite.client_id, invite.id, invite.email, tokenHash(token), deps.sessionMinutes],
    );
    await deps.events.publish(tx, {
      topic: 'portal.session_started',
      tenantId: invite.tenant_id,
      payload: { sessionId: session.id, clientId: invite.client_id, inviteId: invite.id, email: invite.email },
    });
    return {
      token,
      tokenType: 'Bearer' as const,
      expiresAt: new Date(session.expires_at).toISOString(),
      workspaceId: invite.tenant_id,
      clientId: invite.client_id,
      email: invite.email,
    };
  });
}
