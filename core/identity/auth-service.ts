import { AppError } from '../errors/app-error.ts';
import type { AccessTokens } from '../auth/access-tokens.ts';
import { dummyHash, verifyPassword } from '../auth/passwords.ts';
import type { RateLimiter } from '../auth/rate-limiter.ts';
import type { RefreshTokens } from './refresh-tokens.ts';
import type { UserStore } from './user-store.ts';

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
    if (!user || !valid || user.disabled) throw new AppError('unauthorized', 'Invalid email or password');
    return this.session(user.id, user.email, await this.refreshTokens.start(user.id));
  }

  async refresh(refreshToken: string): Promise<Session> {
    const rotated = await this.refreshTokens.rotate(refreshToken);
    const user = await this.users.access(rotated.userId);
    if (!user || user.disabled) throw new AppError('unauthorized', 'The account is disabled or no longer exists');
    return this.session(user.id, user.email, rotated.token);
  }

  logout(refreshToken: string): Promise<void> {
    return this.refreshTokens.revoke(refreshToken);
  }

  private async session(userId: string, email: string, refreshToken: string): Promise<Session> {
    return { token: await this.tokens.sign({ userId, email }), refreshToken, expiresIn: this.ttlSeconds, user: { id: userId, email } };
  }
}
