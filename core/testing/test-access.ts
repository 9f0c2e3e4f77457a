import { AppError } from '../errors/app-error.ts';
import type { AccessControl } from '../http/access-control.ts';
import type { Principal } from '../plugin-api/index.ts';

/**
 * A stand-in for the identity layer in kernel tests: `Authorization: Test <role>[,<role>] [tenant]`
 * authenticates; roles map to permissions through `grants`. Anything else is unauthenticated or,
 * for a malformed Test header, rejected as invalid credentials.
 */
export function testAccess(grants: Record<string, string[]>): AccessControl {
  return {
    async authenticate({ headers }) {
      const header = headers.authorization;
      if (typeof header !== 'string' || header === '') return null;
      const match = /^Test ([a-z_,]+)(?: (\S+))?$/.exec(header);
      if (!match) throw new AppError('unauthorized', 'Invalid credentials');
      const tenantId = match[2] ?? 'test-tenant';
      const principal: Principal = {
        kind: 'user',
        id: `test:${match[1]}`,
        tenantId,
        memberships: match[1].split(',').map((role) => ({ tenantId, role })),
        platformAdmin: false,
      };
      return principal;
    },
    async authorize(principal, permission, requestedTenant) {
      const tenantId = requestedTenant ?? principal.tenantId;
      if (!principal.memberships.some((m) => m.tenantId === tenantId && grants[m.role]?.includes(permission))) {
        throw new AppError('forbidden', `This operation requires the permission ${permission}`);
      }
      return tenantId;
    },
  };
}
