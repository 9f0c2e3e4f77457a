import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks 1.0 signatures (https://www.standardwebhooks.com), as itops signs its outgoing
 * webhooks: `webhook-signature` is a space-separated list of `v1,<base64 HMAC-SHA256>` over
 * `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed with the base64 part of a `whsec_...` secret.
 *
 * During a secret rotation the sender signs with the old and the new secret (two entries in the
 * header) until the old one's grace period ends: a receiver holding either secret verifies, and one
 * switching over may pass both (`verifyWebhook([newSecret, oldSecret], ...)`).
 *
 * `verifyWebhook` throws a `WebhookVerificationError` (with a `reason`) rather than returning false,
 * so a caller cannot forget to check the result and the log says why a delivery was refused.
 */

export type WebhookVerificationFailure =
  | 'missing_header'
  | 'invalid_secret'
  | 'invalid_timestamp'
  | 'timestamp_too_old'
  | 'timestamp_too_new'
  | 'no_matching_signature';

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
  readonly reason: WebhookVerificationFailure;

  // A plain field, not a parameter property, so the source stays erasable TypeScript.
  constructor(reason: WebhookVerificationFailure, message: string) {
    super(message);
    this.reason = reason;
  }
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** Seconds the timestamp may differ from now, either way (replay protection). Default 300. */
  toleranceSeconds?: number;
  /** The current time, for tests. */
  now?: Date;
}

/**
 * Verifies a delivery. `body` must be the raw request body, byte for byte (not re-serialized JSON).
 * `secret` may be a list (the secrets valid while rotating): a signature by any of them passes.
 * Returns the delivery's id and time on success (use the id to drop redeliveries you have processed);
 * throws `WebhookVerificationError` otherwise.
 */
export function verifyWebhook(
  secret: string | readonly string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): { id: string; timestamp: Date } {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError('missing_header', 'webhook-id, webhook-timestamp and webhook-signature headers are required');
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('invalid_timestamp', `webhook-timestamp "${timestamp}" is not a Unix time in seconds`);
  const seconds = Number(timestamp);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (seconds < now - tolerance) throw new WebhookVerificationError('timestamp_too_old', `webhook-timestamp is more than ${tolerance} s in the past`);
  if (seconds > now + tolerance) throw new WebhookVerificationError('timestamp_too_new', `webhook-timestamp is more than ${tolerance} s in the future`);

  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (secrets.length === 0) throw new WebhookVerificationError('invalid_secret', 'no webhook secret was given');
  const expected = secrets.map((s) => signatureBytes(s, id, timestamp, body));
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma === -1 || entry.slice(0, comma) !== 'v1') continue; // other schemes (v1a, ...) are not ours to check
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    if (expected.some((bytes) => given.length === bytes.length && timingSafeEqual(given, bytes))) return { id, timestamp: new Date(seconds * 1000) };
  }
  throw new WebhookVerificationError('no_matching_signature', 'no v1 signature in webhook-signature matches the body and secret');
}

function signatureBytes(secret: string, id: string, timestamp: string, body: string | Uint8Array): Buffer {
  const hmac = createHmac('sha256', secretKey(secret));
  hmac.update(`${id}.${timestamp}.`);
  hmac.update(body);
  return hmac.digest();
}

/** The HMAC key: the base64 part of `whsec_<base64>` (the prefix may be left off). */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length === 0)
    throw new WebhookVerificationError('invalid_secret', 'the webhook secret is not whsec_ followed by base64');
  return key;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const value = headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}
