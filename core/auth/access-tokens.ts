import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { AppError } from '../errors/app-error.ts';

export interface AccessClaims {
  userId: string;
  email: string;
}

/**
 * HS256 access tokens. Verification pins the algorithm, so `alg: none` and any other algorithm are
 * refused; memberships are not in the token, so a removed membership takes effect at once.
 */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: AccessClaims): Promise<string> {
    return new SignJWT({ email: claims.email, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer('itops')
      .setIssuedAt()
      .setJti(randomUUID())
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], issuer: 'itops' });
      if (payload.typ !== 'access' || typeof payload.sub !== 'string' || typeof payload.email !== 'string') {
        throw new Error('not an access token');
      }
      return { userId: payload.sub, email: payload.email };
    } catch (error) {
      const expired = (error as { code?: string }).code === 'ERR_JWT_EXPIRED';
      throw new AppError('unauthorized', expired ? 'The access token has expired; refresh it' : 'The access token is invalid', {
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    }
  }
}

export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);
