import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';

/**
 * Ed25519 license keys. The public key travels as base64url of its raw 32 bytes (one entry of
 * ITOPS_LICENSE_PUBLIC_KEYS); the private key stays in a JWK file with the issuer; the key id
 * (`kid` in every license header) is derived from the public key, so nobody has to keep ids in sync.
 */
export interface LicensePrivateJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  /** Private key, base64url of 32 bytes. */
  d: string;
  /** Public key, base64url of 32 bytes. */
  x: string;
}

export interface LicenseKeyPair {
  privateJwk: LicensePrivateJwk;
  /** base64url of the raw 32-byte public key: what goes into ITOPS_LICENSE_PUBLIC_KEYS. */
  publicKey: string;
  keyId: string;
}

const base64url = /^[A-Za-z0-9_-]+$/;

function rawBytes(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !base64url.test(value)) throw new Error(`${what} is not base64url text`);
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== 32) throw new Error(`${what} must encode 32 bytes (an Ed25519 key), found ${bytes.length}`);
  return bytes;
}

/** `kid` of a public key: the first 16 characters of base64url(sha256(raw public key)). */
export function licenseKeyId(publicKey: string): string {
  return createHash('sha256').update(rawBytes(publicKey, 'license public key')).digest('base64url').slice(0, 16);
}

export function generateLicenseKeyPair(): LicenseKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  const privateJwk = parsePrivateJwk(privateKey.export({ format: 'jwk' }));
  return { privateJwk, publicKey: privateJwk.x, keyId: licenseKeyId(privateJwk.x) };
}

/** Checks a configured public key and returns it as a key object; the message names the bad entry. */
export function importLicensePublicKey(publicKey: string): KeyObject {
  const shown = publicKey.length > 60 ? `${publicKey.slice(0, 60)}…` : publicKey;
  try {
    rawBytes(publicKey, 'key');
  } catch (error) {
    throw new Error(`license public key "${shown}" is invalid: ${(error as Error).message}`);
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
}

/** Validates a private JWK (shape, sizes, and that `x` really is the public half of `d`). */
export function parsePrivateJwk(value: unknown): LicensePrivateJwk {
  const jwk = value as Partial<LicensePrivateJwk> | null;
  if (!jwk || typeof jwk !== 'object') throw new Error('license private key is not a JSON object');
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new Error('license private key must be an Ed25519 JWK ({"kty":"OKP","crv":"Ed25519",...})');
  rawBytes(jwk.d, 'license private key "d"');
  rawBytes(jwk.x, 'license private key "x"');
  const derived = createPublicKey(privateKeyObject(jwk as LicensePrivateJwk)).export({ format: 'jwk' }).x;
  if (derived !== jwk.x) throw new Error('license private key is inconsistent: "x" is not the public key of "d"');
  return { kty: 'OKP', crv: 'Ed25519', d: jwk.d as string, x: jwk.x as string };
}

export function privateKeyObject(jwk: LicensePrivateJwk): KeyObject {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: jwk.d, x: jwk.x }, format: 'jwk' });
}

export async function readPrivateJwk(file: string): Promise<LicensePrivateJwk> {
  const text = await readFile(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON (expected an Ed25519 private JWK)`);
  }
  try {
    return parsePrivateJwk(json);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/** Writes the private key readable by its owner only; `exclusive` refuses to replace an existing file. */
export async function writePrivateJwk(file: string, jwk: LicensePrivateJwk, options: { exclusive?: boolean } = {}): Promise<void> {
  await writeFile(file, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: options.exclusive ? 'wx' : 'w' });
  // `mode` applies only when the file is created; a replaced file may have been more open.
  if (!options.exclusive) await chmod(file, 0o600);
}
