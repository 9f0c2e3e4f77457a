import { createHash } from 'node:crypto';

/**
 * The fingerprint an Idempotency-Key is stored with: a SHA-256 of the request's parameters, query
 * and body as JSON with every object's keys in sorted order, so a retry that sends the same data
 * with its keys in another order is the same request.
 *
 * Stored fingerprints outlive a deploy (a client retries across one), so the text hashed is fixed:
 * `JSON.stringify(sortedCopy(value))`, where the copy's objects hold their keys sorted (and, as
 * every JavaScript object does, integer-like keys first in numeric order). Copying a 1,000-item
 * telemetry batch cost its request more than parsing it; for plain JSON data the same text comes
 * from one native `JSON.stringify` whose property list is every key of the value in that order
 * (the list orders each object's own keys, and a key an object lacks is skipped).
 */
export function requestFingerprint(request: { params: unknown; query: unknown; body: unknown }): string {
  const value = { params: request.params, query: request.query, body: request.body ?? null };
  const keys = new Set<string>();
  const text = collectKeys(value, keys) ? JSON.stringify(value, keysInOrder(keys)) : JSON.stringify(sortedCopy(value));
  return createHash('sha256').update(text).digest('hex');
}

/** The reference form: what the fingerprint hashes, by definition. */
export function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortedCopy((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Adds every object key in `value` to `keys`; false when the value holds something a property list
 * would write otherwise than the copy does: an object other than a plain one or an array (a Buffer
 * or a Date has its own JSON form) or a `__proto__` key (every other object would show its prototype).
 */
function collectKeys(value: unknown, keys: Set<string>): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!collectKeys(item, keys)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return false;
    keys.add(key);
    if (!collectKeys((value as Record<string, unknown>)[key], keys)) return false;
  }
  return true;
}

const arrayIndex = /^(?:0|[1-9]\d*)$/;
const isArrayIndex = (key: string) => arrayIndex.test(key) && Number(key) < 4_294_967_295;

/** Integer-like keys first in numeric order, then the rest sorted: the order of the copy's objects. */
function keysInOrder(keys: Set<string>): string[] {
  const indices: string[] = [];
  const names: string[] = [];
  for (const key of keys) (isArrayIndex(key) ? indices : names).push(key);
  indices.sort((a, b) => Number(a) - Number(b));
  return indices.concat(names.sort());
}
