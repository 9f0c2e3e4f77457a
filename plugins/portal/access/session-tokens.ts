import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, type EventsService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { newToken, staffTokenPrefix, tokenHash } from './portal-tokens.ts';

interface SessionTokenRow {
  id: string;
  client_id: string;
  email: string;
  expires_at: Date;
  created_by: string;
  created_at: Date;
}

type Services = { database: DatabaseService; events: EventsService };
type Request = OperationRequest<{ clientId: string; email?: string; expiresInMinutes?: number }> & { tenantId: string };

/** A single-use token for one client's portal session, minutes long; the answer is the only place it appears. */
export async function issueSessionToken({ database, events }: Services, req: Request) {
  const issuer = req.principal?.name ?? req.principal?.id ?? 'unknown';
  const token = newToken(staffTokenPrefix);
  const row = await database.forTenant(req.tenantId).transaction(async (tx) => {
    const [client] = await tx.query("SELECT 1 FROM portal_client WHERE id = ? AND status = 'active'", [req.body.clientId]);
    if (!client) throw new AppError('not_found', `Client ${req.body.clientId} was not found (or is inactive)`);
    const [issued] = await tx.query<SessionTokenRow>(
      `INSERT INTO portal_session_token (id, tenant_id, client_id, email, token_hash, expires_at, created_by)
       VALUES (?, ?, ?, ?, ?, now() + make_interval(mins => ?), ?) RETURNING id, client_id, email, expires_at, created_by, created_at`,
      [randomUUID(), req.tenantId, req.body.clientId, req.body.email ?? issuer, tokenHash(token), req.body.expiresInMinutes ?? 15, issuer],
    );
    // Audited: whoever holds the token acts as the client in the portal.
    await events.publish(tx, {
      topic: 'portal.session_token_issued',
      tenantId: req.tenantId,
      payload: { sessionTokenId: issued.id, clientId: issued.client_id, email: issued.email, createdBy: issuer },
    });
    return issued;
  });
  return {
    status: 201,
    body: {
      id: row.id,
      clientId: row.client_id,
      email: row.email,
      expiresAt: new Date(row.expires_at).toISOString(),
      createdBy: row.created_by,
      createdAt: new Date(row.created_at).toISOString(),
      token,
    },
  };
}
