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
      const principal: Principal = { kind: 'user', id: `test:${match[1]}`, roles: match[1].split(','), tenantId: match[2] };
      return principal;
    },
    async authorize(principal, permission) {
      return principal.roles.some((role) => grants[role]?.includes(permission));
    },
  };
}
