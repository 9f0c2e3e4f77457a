import { AppError } from '../errors/app-error.ts';
import type { AccessControl, Credentials } from '../http/access-control.ts';
import type { ApiKeys } from '../identity/api-keys.ts';
import type { UserStore } from '../identity/user-store.ts';
import type { Principal } from '../plugin-api/index.ts';
import type { RbacService } from '../rbac/rbac-service.ts';
import { signedInRole } from '../rbac/roles.ts';
import type { AccessChange, AccessWatch } from './access-change.ts';
import { type AccessTokens, looksLikeJwt } from './access-tokens.ts';
import type { BearerAuthenticators } from './bearer-authenticators.ts';
import type { SessionRevocations } from './session-revocations.ts';

const header = (headers: Credentials['headers'], name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The platform's AccessControl: who is calling (JWT from login, or an API key in X-API-Key or as a
 * bearer token) and whether they hold the operation's permission in the workspace they act in.
 */
export class PlatformAccess implements AccessControl, AccessWatch {
  private readonly listeners = new Set<(change: AccessChange) => void>();

  constructor(
    private readonly tokens: AccessTokens,
    private readonly users: UserStore,
    private readonly apiKeys: ApiKeys,
    private readonly rbac: RbacService,
    private readonly revocations: SessionRevocations,
    private readonly pluginTokens?: BearerAuthenticators,
  ) {}

  /** Long-lived connections (graphql-ws) hear here when someone's access narrowed. */
  onAccessChange(listener: (change: AccessChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** An access change reached this node (its own commit, or another node's through the bus). */
  accessChanged(change: AccessChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // One connection's failure to close must not keep the others open.
      }
    }
  }

  async authenticate({ headers }: Credentials): Promise<Principal | null> {
    const apiKey = header(headers, 'x-api-key');
    if (apiKey) return this.apiKeys.authenticate(apiKey);
    const authorization = header(headers, 'authorization');
    if (!authorization) return null;
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new AppError('unauthorized', 'Use "Authorization: Bearer <token>" or "X-API-Key: <key>"', { headers: { 'WWW-Authenticate': 'Bearer' } });
    // A plugin's own tokens (portal sessions) carry its prefix and are only ever checked by it.
    const pluginAuthenticator = this.pluginTokens?.authenticatorFor(match[1]);
    if (pluginAuthenticator) return pluginAuthenticator(match[1]);
    if (!looksLikeJwt(match[1])) return this.apiKeys.authenticate(match[1]);
    const claims = await this.tokens.verify(match[1]);
    if (claims.sessionId && this.revocations.isRevoked(claims.sessionId)) {
      throw new AppError('unauthorized', 'The session has ended; log in again', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
    }
    const user = await this.users.access(claims.userId);
    if (!user || user.disabled) throw new AppError('unauthorized', 'The account is disabled or no longer exists');
    return {
      kind: 'user',
      id: user.id,
      name: user.email,
      tenantId: user.memberships.length === 1 ? user.memberships[0].tenantId : undefined,
      memberships: user.memberships,
      platformAdmin: user.platformAdmin,
    };
  }

  async authorize(principal: Principal, permission: string, requestedTenant?: string): Promise<string | undefined> {
    const denied = () => new AppError('forbidden', `This operation requires the permission ${permission}`);
    if (this.rbac.isPlatformPermission(permission)) {
      // Platform permissions are held by platform admins, or granted to a role in every workspace.
      const roles = [
        ...(principal.platformAdmin ? ['platform_admin'] : []),
        ...(principal.kind === 'user' ? [signedInRole] : []),
        ...principal.memberships.map((m) => m.role),
      ];
      if (!roles.some((role) => this.rbac.allows(role, '*', permission))) throw denied();
      return requestedTenant ?? principal.tenantId;
    }
    const tenantId = this.workspaceOf(principal, requestedTenant);
    const membership = principal.memberships.find((m) => m.tenantId === tenantId);
    if (!membership || !this.rbac.allows(membership.role, tenantId, permission)) throw denied();
    return tenantId;
  }

  /** The workspace a request acts in; one the principal does not belong to does not exist for it. */
  private workspaceOf(principal: Principal, requested?: string): string {
    if (requested) {
      if (!principal.memberships.some((m) => m.tenantId === requested)) throw new AppError('not_found', `Workspace ${requested} was not found`);
      return requested;
    }
    if (principal.tenantId) return principal.tenantId;
    if (principal.memberships.length === 0) throw new AppError('forbidden', 'This operation acts in a workspace, and the caller belongs to none');
    throw new AppError('bad_request', 'The caller belongs to several workspaces: name one in the x-workspace-id header');
  }
}
