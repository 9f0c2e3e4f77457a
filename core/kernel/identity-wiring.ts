import { type AccessChange, accessChangedTopic, accessChangeSchema } from '../auth/access-change.ts';
import { AccessTokens } from '../auth/access-tokens.ts';
import { BearerAuthenticators } from '../auth/bearer-authenticators.ts';
import { resolveJwtSecret } from '../auth/jwt-secret.ts';
import { PlatformAccess } from '../auth/platform-access.ts';
import { RateLimiter } from '../auth/rate-limiter.ts';
import { SessionRevocations } from '../auth/session-revocations.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { Tx } from '../db/sql-handles.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { EventOutbox } from '../events/event-outbox.ts';
import type { EventDeclaration } from '../plugin-api/index.ts';
import { ApiKeys } from '../identity/api-keys.ts';
import { AuthService } from '../identity/auth-service.ts';
import { identityModule } from '../identity/identity.module.ts';
import { RefreshTokens } from '../identity/refresh-tokens.ts';
import { UserStore } from '../identity/user-store.ts';
import { type RecordSecurityEvent, securityEventTopics } from '../identity/security-events.ts';
import type { Logger } from '../logging/logger.ts';
import { RbacService } from '../rbac/rbac-service.ts';
import type { CoreModule } from './core-module.ts';

/** The platform events identity publishes (declared beside the core's other topics). */
export const identityEventTopics: EventDeclaration[] = [
  {
    topic: accessChangedTopic,
    description: 'Someone’s access narrowed (key revoked, member removed or changed, logout): nodes drop caches and close streams.',
    payloadSchema: accessChangeSchema,
  },
  ...securityEventTopics,
];

/** Builds identity and access: stores, token services, RBAC, the AccessControl and its core module. */
export async function identityAccess(deps: {
  config: Config;
  database: Database;
  logger: Logger;
  events: { bus: EventBus; outbox: Pick<EventOutbox, 'publish'> };
}) {
  const { config, database, logger, events } = deps;
  const query = database.query;
  // Counters need no fsync: a crash losing the last hits of a window is harmless.
  const limiter = new RateLimiter(database.relaxedQuery);
  const revocations = new SessionRevocations(config.accessTokenTtlSeconds);
  // What narrows access is published in its own transaction (every node hears it once it commits)
  // and applied here at commit, so the node that made the change refuses at once.
  const apply = (change: AccessChange) => {
    users.forget(change.userIds ?? []);
    if (change.keyIds) apiKeys.forget(change.keyIds);
    for (const id of change.sessionIds ?? []) revocations.revoke(id);
    access.accessChanged(change);
  };
  const publish = async (tx: Tx, change: AccessChange) => {
    await events.outbox.publish(tx, { topic: accessChangedTopic, tenantId: null, payload: change });
    tx.afterCommit(() => apply(change));
  };
  // Security events join the change's transaction; a failed login, which changes nothing, gets its own.
  const security: RecordSecurityEvent = (tx, event) =>
    tx
      ? events.outbox.publish(tx, event).then(() => undefined)
      : database.platform.transaction((own) => events.outbox.publish(own, event)).then(() => undefined);
  const users = new UserStore(database, publish, security);
  const rbac = new RbacService(query, logger);
  const apiKeys = new ApiKeys(
    database,
    limiter,
    {
      roleOfUser: async (userId, tenantId) => {
        const user = await users.access(userId);
        return user && !user.disabled ? user.memberships.find((m) => m.tenantId === tenantId)?.role : undefined;
      },
      shortfall: (holder, wanted, tenantId) => rbac.shortfall(holder, wanted, tenantId),
    },
    publish,
    security,
  );
  const tokens = new AccessTokens(await resolveJwtSecret(config, logger), config.accessTokenTtlSeconds);
  const refreshTokens = new RefreshTokens(database.platform, config.refreshTokenTtlDays, publish);
  const auth = new AuthService(users, tokens, refreshTokens, limiter, config.accessTokenTtlSeconds, security);
  const bearerTokens = new BearerAuthenticators();
  const access = new PlatformAccess(tokens, users, apiKeys, rbac, revocations, bearerTokens);
  // Subscribe before loading what ended recently, so a logout committed in between is not missed.
  events.bus.subscribe((event) => apply(event.payload as AccessChange), { topics: new Set([accessChangedTopic]) });
  for (const ended of await refreshTokens.endedWithin(config.accessTokenTtlSeconds)) revocations.revoke(ended.sessionId, ended.revokedAt.getTime());

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
    } else if (config.env === 'production') {
      // Elsewhere the first-run link (core/first-run) is printed once the server listens.
      logger.warn('no user exists yet: start once with ITOPS_ADMIN_EMAIL and ITOPS_ADMIN_PASSWORD to create the first platform admin');
    }
  }
  const modules: CoreModule[] = [identityModule({ database, auth, users, apiKeys, rbac })];
  return { access, rbac, users, apiKeys, tokens, auth, modules, bearerTokens };
}
