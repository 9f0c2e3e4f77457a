import { AccessTokens } from '../auth/access-tokens.ts';
import { resolveJwtSecret } from '../auth/jwt-secret.ts';
import { PlatformAccess } from '../auth/platform-access.ts';
import { RateLimiter } from '../auth/rate-limiter.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import { ApiKeys } from '../identity/api-keys.ts';
import { AuthService } from '../identity/auth-service.ts';
import { identityModule } from '../identity/identity.module.ts';
import { RefreshTokens } from '../identity/refresh-tokens.ts';
import { UserStore } from '../identity/user-store.ts';
import type { Logger } from '../logging/logger.ts';
import { RbacService } from '../rbac/rbac-service.ts';
import type { CoreModule } from './core-module.ts';

/** Builds identity and access: stores, token services, RBAC, the AccessControl and its core module. */
export async function identityAccess(deps: { config: Config; database: Database; logger: Logger }) {
  const { config, database, logger } = deps;
  const query = database.query;
  // Counters need no fsync: a crash losing the last hits of a window is harmless.
  const limiter = new RateLimiter(database.relaxedQuery);
  const users = new UserStore(database);
  const rbac = new RbacService(query, logger);
  const apiKeys = new ApiKeys(database, limiter, {
    roleOfUser: async (userId, tenantId) => {
      const user = await users.access(userId);
      return user && !user.disabled ? user.memberships.find((m) => m.tenantId === tenantId)?.role : undefined;
    },
    shortfall: (holder, wanted, tenantId) => rbac.shortfall(holder, wanted, tenantId),
  });
  const tokens = new AccessTokens(await resolveJwtSecret(config, logger), config.accessTokenTtlSeconds);
  const auth = new AuthService(users, tokens, new RefreshTokens(query, config.refreshTokenTtlDays), limiter, config.accessTokenTtlSeconds);

  if ((await users.count()) === 0) {
    if (config.adminEmail && config.adminPassword) {
      // Nodes booting together race for the first admin: the one that loses finds it created.
      const created = await users.create({ email: config.adminEmail, password: config.adminPassword, platformAdmin: true }).then(
        () => true,
        (error: unknown) => {
          if ((error as { code?: string }).code === 'conflict') return false;
          throw error;
        },
      );
      if (created) logger.info({ email: config.adminEmail }, 'created the first platform admin');
    } else {
      logger.warn('no user exists yet: start once with ITOPS_ADMIN_EMAIL and ITOPS_ADMIN_PASSWORD to create the first platform admin');
    }
  }
  const modules: CoreModule[] = [identityModule({ database, auth, users, apiKeys, rbac })];
  return { access: new PlatformAccess(tokens, users, apiKeys, rbac), rbac, users, apiKeys, tokens, auth, modules };
}
