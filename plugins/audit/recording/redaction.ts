/**
 * What never reaches an audit record: secrets. A field is secret when the operation's contract
 * marks it so (`writeOnly`, `format: password`, `x-secret`: the core hands those names over) or
 * when its name says so (passwords, secrets, tokens, keys, hashes, credentials, signatures,
 * cookies, ciphertexts and wrapped keys). Names are compared without case, `_` or `-`, so `apiKey`, `api_key` and `API-KEY` are
 * one name. A secret field still shows that it changed, never what it holds.
 */
export const redacted = '[redacted]';

const secretName =
  /(password|passwd|passphrase|secret|token|apikey|privatekey|credential|keyhash|hash$|salt|signature|cookie|authorization|cipher|encrypted|wrappedkey|nonce)/;

export const normalisedName = (name: string) => name.toLowerCase().replace(/[_-]/g, '');

export function isSecretField(name: string, secretFields: ReadonlySet<string>): boolean {
  const normal = normalisedName(name);
  if (secretName.test(normal)) return true;
  for (const field of secretFields) if (normalisedName(field) === normal) return true;
  return false;
}

/** A value with every secret field (at any depth of objects and arrays) replaced by the marker. */
export function redact(value: unknown, secretFields: ReadonlySet<string>, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, secretFields, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = isSecretField(key, secretFields) ? redacted : redact(inner, secretFields, depth + 1);
  return out;
}
