import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { AppError } from '../errors/app-error.ts';

// The subject is a user id: anything else, even correctly signed, is not a token this server issued.
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AccessClaims {
  userId: string;
  email: string;
  /** The refresh-token family the token was issued in: logging out of it revokes the token. */
  sessionId?: string;
}

/**
 * HS256 access tokens. Verification pins the algorithm, so `alg: none` and any other algorithm are
 * refused; memberships are not in the token, so a removed membership takes effect at once. A token
 * names its session (`sid`), which the platform refuses once the session ended (logout).
 */
export class AccessTokens {
  private readonly key: Uint8Array;
  /** Tokens already verified, until their expiry: a signature never changes, so re-checking it is waste. */
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAt: number }>();

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: AccessClaims): Promise<string> {
    return new SignJWT({ email: claims.email, typ: 'access', ...(claims.sessionId ? { sid: claims.sessionId } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer('itops')
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<AccessClaims> {
    const known = this.verified.get(token);
    if (known && known.expiresAt > Date.now()) return known.claims;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: 'itops' });
      if (
        payload.typ !== 'access' ||
        typeof payload.sub !== 'string' ||
        !uuid.test(payload.sub) ||
        typeof payload.email !== 'string' ||
        typeof payload.exp !== 'number'
      ) {
        throw new Error('not an access token');
      }
      const claims: AccessClaims = { userId: payload.sub, email: payload.email, ...(typeof payload.sid === 'string' ? { sessionId: payload.sid } : {}) };
      if (this.verified.size >= 20_000) this.verified.clear();
      this.verified.set(token, { claims, expiresAt: payload.exp * 1000 });
      return claims;
    } catch (error) {
      const expired = (error as { code?: string }).code === 'ERR_JWT_EXPIRED';
      throw new AppError('unauthorized', expired ? 'The access token has expired; refresh it' : 'The access token is invalid', {
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    }
  }
}

export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
