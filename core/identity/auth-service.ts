import { AppError } from '../errors/app-error.ts';
import type { AccessTokens } from '../auth/access-tokens.ts';
import { dummyHash, verifyPassword } from '../auth/passwords.ts';
import type { RateLimiter } from '../auth/rate-limiter.ts';
import type { RefreshTokens } from './refresh-tokens.ts';
import type { UserStore } from './user-store.ts';
import type { RecordSecurityEvent } from './security-events.ts';

export interface Session {
  token: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string };
}

// Per account and per client address, per minute: enough for people, too few for guessing.
const accountLimit = 10;
const addressLimit = 30;

/** Login, refresh and logout, shared by REST and GraphQL. */
export class AuthService {
  constructor(
    private readonly users: UserStore,
    private readonly tokens: AccessTokens,
    private readonly refreshTokens: RefreshTokens,
    private readonly limiter: RateLimiter,
    private readonly ttlSeconds: number,
    private readonly security?: RecordSecurityEvent,
  ) {}

  async login(email: string, password: string, clientAddress = 'unknown'): Promise<Session> {
    for (const [bucket, limit] of [
      [`login:address:${clientAddress}`, addressLimit],
      [`login:account:${email.toLowerCase()}`, accountLimit],
    ] as const) {
      const decision = await this.limiter.hit(bucket, limit, 60);
      if (!decision.allowed) {
        throw new AppError('rate_limited', 'Too many login attempts; try again later', { headers: { 'Retry-After': String(decision.retryAfterSeconds) } });
      }
    }
    const user = await this.users.findForLogin(email);
    const valid = await verifyPassword(user?.passwordHash ?? dummyHash, password);
    if (!user || !valid || user.disabled) {
      const reason = !user ? 'unknown_account' : user.disabled ? 'disabled' : 'wrong_password';
      await this.securityEvent(user?.id, 'security.login_failed', { email: email.toLowerCase(), userId: user?.id ?? null, reason });
      throw new AppError('unauthorized', 'Invalid email or password');
    }
    const started = await this.refreshTokens.start(user.id);
    await this.securityEvent(user.id, 'security.login_succeeded', { userId: user.id, email: user.email, sessionId: started.sessionId });
    return this.session(user.id, user.email, started.token, started.sessionId);
  }

  async refresh(refreshToken: string): Promise<Session> {
    const rotated = await this.refreshTokens.rotate(refreshToken);
    const user = await this.users.access(rotated.userId);
    if (!user || user.disabled) throw new AppError('unauthorized', 'The account is disabled or no longer exists');
    return this.session(user.id, user.email, rotated.token, rotated.sessionId);
  }

  /** Ends the refresh token's session; the access tokens issued in it are refused from now on. */
  logout(refreshToken: string): Promise<void> {
    return this.refreshTokens.revoke(refreshToken);
  }

  /** One event per workspace the account belongs to, so each workspace's trail shows its members' logins; the platform's for the rest. */
  private async securityEvent(userId: string | undefined, topic: 'security.login_failed' | 'security.login_succeeded', payload: Record<string, unknown>) {
    if (!this.security) return;
    const tenants = userId ? ((await this.users.access(userId))?.memberships.map((m) => m.tenantId) ?? []) : [];
    for (const tenantId of tenants.length > 0 ? tenants : [null]) await this.security(null, { topic, tenantId, payload });
  }

  private async session(userId: string, email: string, refreshToken: string, sessionId: string): Promise<Session> {
    return { token: await this.tokens.sign({ userId, email, sessionId }), refreshToken, expiresIn: this.ttlSeconds, user: { id: userId, email } };
  }
}
