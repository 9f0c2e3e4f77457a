import { AppError } from '../errors/app-error.ts';
import { randomUUID } from 'node:crypto';
import type { OperationHandler, OperationRequest } from '../plugin-api/index.ts';
import { likePattern, listEnvelope, pageTotal, parseListQuery } from '../lists/list-query.ts';
import type { RbacService } from '../rbac/rbac-service.ts';
import { roleLevel, roleOfScope } from '../rbac/roles.ts';
import type { ApiKeyRecord, ApiKeys } from './api-keys.ts';
import type { AuthService } from './auth-service.ts';
import type { UserStore } from './user-store.ts';
import type { DatabaseService } from '../db/sql-handles.ts';

export interface IdentityDependencies {
  database: DatabaseService;
  auth: AuthService;
  users: UserStore;
  apiKeys: ApiKeys;
  rbac: RbacService;
}

const iso = (value: Date | string | null | undefined) => (value == null ? null : new Date(value).toISOString());
const principalOf = (req: OperationRequest) => {
  if (!req.principal) throw new AppError('unauthorized', 'Authentication is required');
  return req.principal;
};
const workspaceOf = (req: OperationRequest) => {
  if (!req.tenantId) throw new AppError('bad_request', 'Name the workspace in the x-workspace-id header');
  return req.tenantId;
};

function apiKeyView(record: ApiKeyRecord) {
  return {
    key_id: record.key_id,
    name: record.name,
    scope: record.scope,
    prefix: record.prefix,
    rate_limit_rps: record.rate_limit_rps,
    expires_at: iso(record.expires_at),
    revoked_at: iso(record.revoked_at),
    created_at: iso(record.created_at) as string,
  };
}

type InvitationRow = { id: string; tenant_id: string; email: string; role: string; created_at: Date; expires_at: Date };
const invitationColumns = 'id, tenant_id, email, role, created_at, expires_at';
const invitationDays = 14;
const invitationView = (r: InvitationRow) => ({
  id: r.id,
  tenantId: r.tenant_id,
  email: r.email,
  role: r.role,
  createdAt: iso(r.created_at),
  expiresAt: iso(r.expires_at),
});

/** Handlers of core/identity/identity.openapi.yaml. */
export function identityHandlers(deps: IdentityDependencies): Record<string, OperationHandler> {
  const { database, auth, users, apiKeys, rbac } = deps;
  // Tenants are listed, registered and looked up by platform admins, outside any workspace.
  const platform = database.platform.query;
  const invitee = async (req: OperationRequest) => {
    const principal = principalOf(req);
    const user = principal.kind === 'user' ? await users.access(principal.id) : undefined;
    if (!user) throw new AppError('forbidden', 'Only a signed-in user has invitations');
    return user;
  };
  const tenantExists = async (tenantId: string) => (await platform('SELECT 1 FROM tenant WHERE tenant_id = ?', [tenantId])).length > 0;

  return {
    listAuthProviders: () => ({ providers: [{ id: 'local', type: 'password', name: 'Email and password', loginUrl: '/api/v1/auth/login' }] }),

    login: (req: OperationRequest<{ email: string; password: string }>) => auth.login(req.body.email, req.body.password, req.clientAddress),
    refreshSession: (req: OperationRequest<{ refreshToken: string }>) => auth.refresh(req.body.refreshToken),
    async logout(req: OperationRequest<{ refreshToken: string }>) {
      await auth.logout(req.body.refreshToken);
      return { status: 204 };
    },

    getCurrentPrincipal(req) {
      const principal = principalOf(req);
      return { kind: principal.kind, id: principal.id, name: principal.name, platformAdmin: principal.platformAdmin, memberships: principal.memberships };
    },

    async listTenants() {
      const rows = await platform<{ tenant_id: string; name: string; plan: string; contact_email: string | null; created_at: Date; events_this_month: string }>(
        'SELECT tenant_id, name, plan, contact_email, created_at, events_this_month FROM tenant ORDER BY created_at, tenant_id',
      );
      return { tenants: rows.map((r) => ({ ...r, created_at: iso(r.created_at), events_this_month: Number(r.events_this_month) })) };
    },

    async createTenant(
      req: OperationRequest<{ tenant_id: string; name: string; plan?: string; contact_email?: string; admin_user_id?: string; admin_email?: string }>,
    ) {
      const { tenant_id, name, plan = 'free', contact_email = null, admin_user_id, admin_email } = req.body;
      if (admin_user_id && admin_email) {
        throw new AppError('validation_failed', 'Name the first admin by admin_user_id or invite one by admin_email, not both', {
          details: [{ path: '/body/admin_email', message: 'not with admin_user_id' }],
        });
      }
      // The workspace and its first admin (membership or invitation) commit together: a workspace
      // is never left without the admin its creator named.
      const created = await database.platform.transaction(async (tx) => {
        const rows = await tx.query<{ tenant_id: string; created_at: Date }>(
          'INSERT INTO tenant (tenant_id, name, plan, contact_email) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING tenant_id, created_at',
          [tenant_id, name, plan, contact_email],
        );
        if (rows.length === 0) throw new AppError('conflict', `Tenant ${tenant_id} already exists`);
        const body: Record<string, unknown> = { tenant_id: rows[0].tenant_id, created_at: iso(rows[0].created_at) };
        if (admin_user_id) {
          const [user] = await tx.query('SELECT 1 FROM app_user WHERE id = ? AND NOT disabled', [admin_user_id]);
          if (!user)
            throw new AppError('validation_failed', `User ${admin_user_id} does not exist`, {
              details: [{ path: '/body/admin_user_id', message: 'unknown user' }],
            });
          await tx.query("INSERT INTO membership (user_id, tenant_id, role) VALUES (?, ?, 'msp_admin')", [admin_user_id, tenant_id]);
          body.admin = { user_id: admin_user_id, role: 'msp_admin' };
        }
        if (admin_email) {
          const principal = principalOf(req);
          const [invitation] = await tx.query<InvitationRow>(
            `INSERT INTO member_invitation (id, tenant_id, email, role, invited_by, expires_at)
             VALUES (?, ?, lower(?), 'msp_admin', ?, now() + make_interval(days => ?)) RETURNING ${invitationColumns}`,
            [randomUUID(), tenant_id, admin_email, `${principal.kind}:${principal.id}`, invitationDays],
          );
          body.invitation = invitationView(invitation);
        }
        return body;
      });
      if (admin_user_id) users.forget([admin_user_id]);
      return { status: 201, body: created };
    },

    async createUser(req: OperationRequest<{ email: string; password: string; platformAdmin?: boolean; memberships?: { tenantId: string; role: string }[] }>) {
      const memberships = req.body.memberships ?? [];
      for (const m of memberships)
        if (!(await tenantExists(m.tenantId)))
          throw new AppError('validation_failed', `Tenant ${m.tenantId} does not exist`, {
            details: [{ path: '/body/memberships', message: `unknown tenant ${m.tenantId}` }],
          });
      const user = await users.create({ email: req.body.email, password: req.body.password, platformAdmin: req.body.platformAdmin });
      for (const m of memberships) await users.setMembership(user.id, m.tenantId, m.role);
      return { status: 201, body: user };
    },

    async listMembers(req) {
      const tenantId = workspaceOf(req);
      const list = parseListQuery<'email' | 'role' | 'createdAt'>(req.query, {
        sortable: { email: 'lower(u.email)', role: 'm.role', createdAt: 'm.created_at' },
        defaultSort: 'email',
      });
      const filter = list.q ? `WHERE (u.email ILIKE ? ESCAPE '\\' OR m.role ILIKE ? ESCAPE '\\')` : '';
      const params = list.q ? [likePattern(list.q), likePattern(list.q)] : [];
      // Only the workspace's memberships are visible; app_user is platform-wide and joined by id.
      const { query } = database.forTenant(tenantId);
      const rows = await query<{ user_id: string; email: string; role: string; created_at: Date; total: string }>(
        `SELECT m.user_id, u.email, m.role, m.created_at, count(*) OVER () AS total
         FROM membership m JOIN app_user u ON u.id = m.user_id
         ${filter}
         ORDER BY ${list.orderBy}, m.user_id LIMIT ? OFFSET ?`,
        [...params, list.limit, list.offset],
      );
      const total = await pageTotal(rows, list, async () => {
        const [count] = await query<{ count: string }>(`SELECT count(*) FROM membership m JOIN app_user u ON u.id = m.user_id ${filter}`, params);
        return Number(count.count);
      });
      const data = rows.map((r) => ({ userId: r.user_id, email: r.email, role: r.role, createdAt: iso(r.created_at) }));
      return listEnvelope(data, total, list);
    },

    async setMember(req: OperationRequest<{ role: string }, { user_id: string }>) {
      const tenantId = workspaceOf(req);
      // Someone not yet a member joins by accepting an invitation; a user of another workspace
      // answers exactly as an unknown one, so ids reveal nothing. Platform admins add directly.
      const notMember = () =>
        new AppError('not_found', `User ${req.params.user_id} is not a member of this workspace; invite them with POST /api/v1/invitations`);
      const user = await users.access(req.params.user_id);
      if (!user) throw notMember();
      if (!(await users.setMembership(user.id, tenantId, req.body.role, { existingOnly: !principalOf(req).platformAdmin }))) throw notMember();
      const [row] = await database.forTenant(tenantId).query<{ created_at: Date }>('SELECT created_at FROM membership WHERE user_id = ?', [user.id]);
      return { userId: user.id, email: user.email, role: req.body.role, createdAt: iso(row.created_at) };
    },

    async createInvitation(req: OperationRequest<{ email: string; role: string }>) {
      const tenantId = workspaceOf(req);
      const principal = principalOf(req);
      const [row] = await database.forTenant(tenantId).query<InvitationRow>(
        `INSERT INTO member_invitation (id, tenant_id, email, role, invited_by, expires_at)
         VALUES (?, ?, lower(?), ?, ?, now() + make_interval(days => ?)) RETURNING ${invitationColumns}`,
        [randomUUID(), tenantId, req.body.email, req.body.role, `${principal.kind}:${principal.id}`, invitationDays],
      );
      return { status: 201, body: invitationView(row) };
    },

    async listMyInvitations(req) {
      const user = await invitee(req);
      // Addressed to the user from any workspace: found across workspaces, by their own address.
      const rows = await platform<InvitationRow>(
        `SELECT ${invitationColumns} FROM member_invitation
         WHERE lower(email) = lower(?) AND accepted_at IS NULL AND expires_at > now() ORDER BY created_at, id LIMIT 100`,
        [user.email],
      );
      const joined = new Set(user.memberships.map((m) => m.tenantId));
      return { invitations: rows.filter((r) => !joined.has(r.tenant_id)).map(invitationView) };
    },

    async acceptInvitation(req: OperationRequest<unknown, { invitation_id: string }>) {
      const user = await invitee(req);
      const joined = await database.platform.transaction(async (tx) => {
        const [invitation] = await tx.query<{ tenant_id: string; role: string }>(
          `UPDATE member_invitation SET accepted_at = now()
           WHERE id = ? AND lower(email) = lower(?) AND accepted_at IS NULL AND expires_at > now() RETURNING tenant_id, role`,
          [req.params.invitation_id, user.email],
        );
        if (!invitation) return undefined;
        // Already a member: the role they hold stays (changing it is the workspace admins' call).
        await tx.query('INSERT INTO membership (user_id, tenant_id, role) VALUES (?, ?, ?) ON CONFLICT (user_id, tenant_id) DO NOTHING', [
          user.id,
          invitation.tenant_id,
          invitation.role,
        ]);
        const [membership] = await tx.query<{ role: string }>('SELECT role FROM membership WHERE user_id = ? AND tenant_id = ?', [
          user.id,
          invitation.tenant_id,
        ]);
        return { tenantId: invitation.tenant_id, role: membership.role };
      });
      if (!joined) throw new AppError('not_found', `Invitation ${req.params.invitation_id} was not found`);
      users.forget([user.id]);
      return joined;
    },

    async removeMember(req: OperationRequest<unknown, { user_id: string }>) {
      if (!(await users.removeMembership(req.params.user_id, workspaceOf(req))))
        throw new AppError('not_found', `User ${req.params.user_id} is not a member of this workspace`);
      return { status: 204 };
    },

    getMyPermissions(req) {
      const principal = principalOf(req);
      const tenantId = workspaceOf(req);
      const role = principal.memberships.find((m) => m.tenantId === tenantId)?.role ?? 'none';
      return {
        tenant_id: tenantId,
        user_id: principal.kind === 'user' ? (principal.name ?? principal.id) : principal.id,
        role,
        level: roleLevel(role),
        permissions: rbac.permissionsOf(role, tenantId),
      };
    },

    async createApiKey(req: OperationRequest<{ name: string; scope: string; rate_limit_rps?: number; expires_at?: string }>) {
      const principal = principalOf(req);
      const tenantId = workspaceOf(req);
      const role = roleOfScope(req.body.scope);
      const callerRole = principal.memberships.find((m) => m.tenantId === tenantId)?.role;
      if (!role || !callerRole) throw new AppError('forbidden', `You cannot create a key with scope ${req.body.scope}`);
      // A key never carries more than its creator holds, compared by permission set.
      const beyond = rbac.shortfall(callerRole, role, tenantId);
      if (beyond.length > 0) {
        throw new AppError(
          'forbidden',
          `A key with scope ${req.body.scope} would exceed your permissions in this workspace: ${beyond.slice(0, 10).join(', ')}${beyond.length > 10 ? ', …' : ''}`,
        );
      }
      if (req.body.expires_at && Date.parse(req.body.expires_at) <= Date.now()) {
        throw new AppError('validation_failed', 'expires_at must be in the future', {
          details: [{ path: '/body/expires_at', message: 'must be in the future' }],
        });
      }
      const { record, apiKey } = await apiKeys.create({
        tenantId,
        name: req.body.name,
        scope: req.body.scope,
        rateLimitRps: req.body.rate_limit_rps ?? 100,
        expiresAt: req.body.expires_at ? new Date(req.body.expires_at) : undefined,
        createdBy: `${principal.kind}:${principal.id}`,
      });
      return { status: 201, body: { ...apiKeyView(record), api_key: apiKey } };
    },

    async listApiKeys(req) {
      return { api_keys: (await apiKeys.list(workspaceOf(req))).map(apiKeyView) };
    },

    async revokeApiKey(req: OperationRequest<unknown, { key_id: string }>) {
      if (!(await apiKeys.revoke(workspaceOf(req), req.params.key_id))) throw new AppError('not_found', `API key ${req.params.key_id} was not found`);
      return { status: 204 };
    },
  };
}
