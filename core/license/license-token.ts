import { randomUUID, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, SignJWT } from 'jose';
import { importLicensePublicKey, type LicensePrivateJwk, licenseKeyId, parsePrivateJwk, privateKeyObject } from './license-keys.ts';

/**
 * License tokens: compact JWS signed with Ed25519 (EdDSA). Nothing but EdDSA is ever accepted, so
 * an `alg: none` or HMAC token cannot pass for a license however its claims read.
 */
export const licenseTokenType = 'itops-license+jwt';
export const licenseIssuer = 'itops-license';

export interface LicenseInfo {
  customer: string;
  /** Plugin ids, or `['*']` for every plugin. */
  plugins: string[];
  edition: string;
  expiresAt?: Date;
  development: boolean;
  /** `kid` of the key that signed it. */
  keyId: string;
  /** `jti`: tells two licenses of one customer apart. */
  licenseId?: string;
  issuedAt?: Date;
}

export type LicenseErrorReason = 'malformed' | 'untrusted' | 'forged' | 'expired' | 'unsupported_algorithm';

export class LicenseError extends Error {
  readonly reason: LicenseErrorReason;

  constructor(reason: LicenseErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LicenseError';
    this.reason = reason;
  }
}

export function isLicenseError(value: unknown): value is LicenseError {
  return value instanceof LicenseError;
}

export interface IssueLicenseOptions {
  customer: string;
  /** Plugin ids, or `['*']` for every plugin. */
  plugins: string[];
  expiresAt?: Date;
  /** Default `enterprise`. */
  edition?: string;
  development?: boolean;
}

export async function issueLicense(privateJwk: LicensePrivateJwk, options: IssueLicenseOptions): Promise<string> {
  const jwk = parsePrivateJwk(privateJwk);
  const customer = options.customer?.trim();
  if (!customer) throw new Error('a license needs a customer name');
  if (!Array.isArray(options.plugins) || options.plugins.some((id) => typeof id !== 'string' || id.trim() === '')) {
    throw new Error('plugins must be a list of plugin ids (or ["*"])');
  }
  if (options.expiresAt && Number.isNaN(options.expiresAt.getTime())) throw new Error('expiresAt is not a valid date');
  const claims: JWTPayload = { plugins: [...new Set(options.plugins.map((id) => id.trim()))], edition: options.edition ?? 'enterprise' };
  if (options.development) claims.dev = true;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: licenseTokenType, kid: licenseKeyId(jwk.x) })
    .setIssuer(licenseIssuer)
    .setSubject(customer)
    .setIssuedAt()
    .setJti(randomUUID());
  if (options.expiresAt) jwt.setExpirationTime(Math.floor(options.expiresAt.getTime() / 1000));
  return jwt.sign(privateKeyObject(jwk));
}

/** The header and claims of a token, unverified (for `license inspect` and error messages). */
export function decodeLicense(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const parts = typeof token === 'string' ? token.trim().split('.') : [];
  if (parts.length !== 3) throw new LicenseError('malformed', 'license is not a compact JWS (three base64url parts separated by dots)');
  const json = (part: string, what: string): Record<string, unknown> => {
    try {
      const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
      if (value && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {
      // reported below
    }
    throw new LicenseError('malformed', `license ${what} is not a base64url JSON object`);
  };
  return { header: json(parts[0], 'header'), claims: json(parts[1], 'payload') };
}

/** Keys by `kid`; a bad entry fails loudly (it is configuration, not input). */
export function trustedKeySet(publicKeys: string[]): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const key of publicKeys.map((k) => k.trim()).filter(Boolean)) {
    const imported = importLicensePublicKey(key);
    keys.set(licenseKeyId(key), imported);
  }
  return keys;
}

/**
 * Verifies a license against the trusted public keys (picked by `kid`) and returns what it grants.
 * Throws LicenseError: malformed (not a license), unsupported_algorithm (anything but EdDSA),
 * untrusted (signed by a key not trusted here), forged (signature mismatch), expired.
 */
export async function verifyLicense(token: string, trustedPublicKeys: string[] | Map<string, KeyObject>, now = new Date()): Promise<LicenseInfo> {
  const { header } = decodeLicense(token);
  let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
  try {
    protectedHeader = decodeProtectedHeader(token.trim());
  } catch (error) {
    throw new LicenseError('malformed', `license header cannot be read: ${(error as Error).message}`, { cause: error });
  }
  if (protectedHeader.alg !== 'EdDSA') {
    throw new LicenseError(
      'unsupported_algorithm',
      `license tokens must be signed with EdDSA (Ed25519); this one says alg "${String(header.alg ?? '(none)')}"`,
    );
  }
  if (protectedHeader.typ !== licenseTokenType) {
    throw new LicenseError('malformed', `not an itops license: header typ is "${String(protectedHeader.typ ?? '(none)')}", expected "${licenseTokenType}"`);
  }
  const kid = protectedHeader.kid;
  if (typeof kid !== 'string' || kid === '') throw new LicenseError('malformed', 'license header has no key id (kid)');
  const keys = trustedPublicKeys instanceof Map ? trustedPublicKeys : trustedKeySet(trustedPublicKeys);
  const key = keys.get(kid);
  if (!key) {
    throw new LicenseError(
      'untrusted',
      keys.size === 0
        ? `license was signed by key ${kid}, but no license public key is trusted (set ITOPS_LICENSE_PUBLIC_KEYS)`
        : `license was signed by key ${kid}, which is not among the trusted license public keys (ITOPS_LICENSE_PUBLIC_KEYS)`,
    );
  }

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token.trim(), key, {
      algorithms: ['EdDSA'],
      typ: licenseTokenType,
      issuer: licenseIssuer,
      currentDate: now,
      requiredClaims: ['sub', 'plugins'],
    }));
  } catch (error) {
    throw fromJoseError(error);
  }

  const customer = payload.sub;
  if (typeof customer !== 'string' || customer.trim() === '') throw new LicenseError('malformed', 'license has no customer (sub claim)');
  const plugins = payload.plugins;
  if (!Array.isArray(plugins) || plugins.some((id) => typeof id !== 'string'))
    throw new LicenseError('malformed', 'license "plugins" claim is not a list of plugin ids');
  const edition = payload.edition ?? 'enterprise';
  if (typeof edition !== 'string') throw new LicenseError('malformed', 'license "edition" claim is not a string');
  if (payload.dev !== undefined && typeof payload.dev !== 'boolean') throw new LicenseError('malformed', 'license "dev" claim is not a boolean');
  return {
    customer,
    plugins: plugins as string[],
    edition,
    expiresAt: payload.exp === undefined ? undefined : new Date(payload.exp * 1000),
    development: payload.dev === true,
    keyId: kid,
    licenseId: typeof payload.jti === 'string' ? payload.jti : undefined,
    issuedAt: typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : undefined,
  };
}

function fromJoseError(error: unknown): LicenseError {
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new LicenseError('forged', 'license signature does not match its contents (tampered with, or not signed by the key it names)', { cause: error });
  }
  if (error instanceof errors.JWTExpired) {
    const exp = error.payload.exp;
    const when = typeof exp === 'number' ? new Date(exp * 1000).toISOString() : 'an unknown date';
    const customer = typeof error.payload.sub === 'string' ? ` for "${error.payload.sub}"` : '';
    return new LicenseError('expired', `license${customer} expired at ${when}`, { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return new LicenseError('unsupported_algorithm', 'license tokens must be signed with EdDSA (Ed25519)', { cause: error });
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new LicenseError('malformed', `license claim "${error.claim}" is ${error.reason === 'missing' ? 'missing' : 'invalid'}: ${error.message}`, {
      cause: error,
    });
  }
  if (error instanceof errors.JOSEError) return new LicenseError('malformed', `license is not a valid token: ${error.message}`, { cause: error });
  return new LicenseError('malformed', `license cannot be verified: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}
