import { randomUUID } from 'node:crypto';
import { AppError, type DatabaseService, defineList, type EventsService, type OperationRequest } from '../../../core/plugin-api/index.ts';
import { inviteTokenPrefix, newToken, tokenHash } from './portal-tokens.ts';

interface InviteRow {
  id: string;
  client_id: string;
  email: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  created_by: string;
  created_at: Date;
}

const columns = 'id, client_id, email, expires_at, used_at, revoked_at, created_by, created_at';
const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

export const inviteView = (row: InviteRow) => ({
  id: row.id,
  clientId: row.client_id,
  email: row.email,
  state: row.used_at ? 'used' : row.revoked_at ? 'revoked' : new Date(row.expires_at) <= new Date() ? 'expired' : 'pending',
  expiresAt: new Date(row.expires_at).toISOString(),
  usedAt: iso(row.used_at),
  revokedAt: iso(row.revoked_at),
  createdBy: row.created_by,
  createdAt: new Date(row.created_at).toISOString(),
});

const inviteList = defineList({
  from: 'portal_invite',
  select: columns,
  sortable: { createdAt: 'created_at', expiresAt: 'expires_at' },
  defaultSort: 'createdAt',
  equals: { clientId: 'client_id' },
  search: ['email'],
  view: inviteView,
});

type Services = { database: DatabaseService; events: EventsService };
type Request = OperationRequest<any, any, any> & { tenantId: string };

export const listInvites = ({ database }: Services, req: Request) => inviteList.page(database.forTenant(req.tenantId), req.query);

export async function createInvite({ database, events }: Services, req: Request) {
  const body = req.body as { clientId: string; email: string; expiresInHours?: number };
  const token = newToken(inviteTokenPrefix);
  const invite = await database.forTenant(req.tenantId).transaction(async (tx) => {
    const [client] = await tx.query("SELECT 1 FROM portal_client WHERE id = ? AND status = 'active'", [body.clientId]);
    if (!client) throw new AppError('not_found', `Client ${body.clientId} was not found (or is inactive)`);
    const [row] = await tx.query<InviteRow>(
      `INSERT INTO portal_invite (id, tenant_id, client_id, email, token_hash, expires_at, created_by)
       VALUES (?, ?, ?, ?, ?, now() + make_interval(hours => ?), ?) RETURNING ${columns}`,
      [
        randomUUID(),
        req.tenantId,
        body.clientId,
        body.email,
        tokenHash(token),
        body.expiresInHours ?? 72,
        req.principal?.name ?? req.principal?.id ?? 'unknown',
      ],
    );
    await events.publish(tx, {
      topic: 'portal.invite_created',
      tenantId: req.tenantId,
      payload: { inviteId: row.id, clientId: row.client_id, email: row.email },
    });
    return row;
  });
  return { status: 201, body: { ...inviteView(invite), token } };
}

export async function revokeInvite({ database, events }: Services, req: Request) {
  return database.forTenant(req.tenantId).transaction(async (tx) => {
    const [row] = await tx.query<InviteRow>(`SELECT ${columns} FROM portal_invite WHERE id = ? FOR UPDATE`, [req.params.id]);
    if (!row) throw new AppError('not_found', `Invite ${req.params.id} was not found`);
    if (row.used_at) throw new AppError('conflict', 'The invite was already used; terminate its session instead');
    if (row.revoked_at) return inviteView(row);
    const [revoked] = await tx.query<InviteRow>(`UPDATE portal_invite SET revoked_at = now() WHERE id = ? RETURNING ${columns}`, [row.id]);
    await events.publish(tx, { topic: 'portal.invite_revoked', tenantId: req.tenantId, payload: { inviteId: row.id, clientId: row.client_id } });
    return inviteView(revoked);
  });
}
