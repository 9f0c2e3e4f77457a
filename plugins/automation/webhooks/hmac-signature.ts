import { createHmac, timingSafeEqual } from 'node:crypto';

/** `sha256=<hex>` of the HMAC-SHA256 of the exact bytes sent, as GitHub and the control plane sign them. */
export function sha256Signature(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Whether `header` is the signature of `body`. The comparison takes the same time wherever the
 * strings differ, so a caller cannot find the right signature a byte at a time. The control plane's
 * header may also carry the bare hex digest.
 */
export function signatureMatches(secret: string, body: Buffer, header: string | undefined, options: { bareHex?: boolean } = {}): boolean {
  if (!header) return false;
  const given = options.bareHex && !header.startsWith('sha256=') ? `sha256=${header}` : header;
  const expected = Buffer.from(sha256Signature(secret, body));
  const actual = Buffer.from(given.trim().toLowerCase());
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A header's single value (repeated headers are refused as absent). */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}
