import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, type EventsService, type Principal } from '../../../core/plugin-api/index.ts';
import { newToken, sessionTokenPrefix, staffTokenPrefix, tokenHash } from './portal-tokens.ts';

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

type SessionDeps = { database: DatabaseService; events: EventsService; sessionMinutes: number };

/** What a spent invite or staff-issued token grants: a session for this client, under this name. */
interface Grant {
  id: string;
  tenant_id: string;
  client_id: string;
  email: string;
}

/**
 * Spends an invite or a staff-issued token (told apart by their prefix) and opens a session, in one
 * transaction: two exchanges of one token racing each other cannot both succeed (the UPDATE's
 * condition holds the row).
 */
export async function exchangeToken(deps: SessionDeps, token: string) {
  const staffIssued = token.startsWith(staffTokenPrefix);
  const table = staffIssued ? 'portal_session_token' : 'portal_invite';
  const what = staffIssued ? 'session token' : 'invite';
  // The token names the workspace, so it is found across workspaces by its hash: the platform handle.
  return deps.database.platform.transaction(async (tx) => {
    const hash = tokenHash(token);
    const [grant] = await tx.query<Grant>(
      `UPDATE ${table} g SET used_at = now()
         FROM portal_client c
        WHERE c.id = g.client_id AND c.status = 'active'
          AND g.token_hash = ? AND g.used_at IS NULL ${staffIssued ? '' : 'AND g.revoked_at IS NULL'} AND g.expires_at > now()
        RETURNING g.id, g.tenant_id, g.client_id, g.email`,
      [hash],
    );
    if (!grant) {
      const [spent] = await tx.query(`SELECT 1 FROM ${table} WHERE token_hash = ? AND used_at IS NOT NULL`, [hash]);
      if (spent) throw new AppError('conflict', `This ${what} was already used; ask for a new one`);
      throw new AppError('unauthorized', `The ${what} is unknown, revoked or expired`);
    }
    const sessionToken = newToken(sessionTokenPrefix);
    const [session] = await tx.query<{ id: string; expires_at: Date }>(
      `INSERT INTO portal_session (id, tenant_id, client_id, invite_id, session_token_id, email, token_hash, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, now() + make_interval(mins => ?)) RETURNING id, expires_at`,
      [
        randomUUID(),
        grant.tenant_id,
        grant.client_id,
        staffIssued ? null : grant.id,
        staffIssued ? grant.id : null,
        grant.email,
        tokenHash(sessionToken),
        deps.sessionMinutes,
      ],
    );
    await deps.events.publish(tx, {
      topic: 'portal.session_started',
      tenantId: grant.tenant_id,
      payload: {
        sessionId: session.id,
        clientId: grant.client_id,
        email: grant.email,
        ...(staffIssued ? { sessionTokenId: grant.id } : { inviteId: grant.id }),
      },
    });
    return {
      token: sessionToken,
      tokenType: 'Bearer' as const,
      expiresAt: new Date(session.expires_at).toISOString(),
      workspaceId: grant.tenant_id,
      clientId: grant.client_id,
      email: grant.email,
    };
  });
}
