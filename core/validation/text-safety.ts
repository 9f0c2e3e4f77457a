/**
 * PostgreSQL text and jsonb can hold neither a NUL character nor an unpaired UTF-16 surrogate, yet
 * JSON (`\u0000`, `\ud800`) and percent-encoded URLs carry both. Input is checked for them before it
 * reaches a handler, so a caller gets a 400 instead of a database error.
 */

export const unsafeTextMessage = 'must not contain NUL characters or unpaired UTF-16 surrogates';

export function isUnsafeText(value: string): boolean {
  return value.includes('\0') || !value.isWellFormed();
}

/**
 * Whether a JSON text can yield unsafe text once parsed: only through a `\u0000` escape or one in
 * `\uD800`-`\uDFFF` (raw control characters are not JSON, and decoded UTF-8 has no lone
 * surrogates). False means none of the parsed strings needs looking at.
 */
export function jsonMayHoldUnsafeText(text: string): boolean {
  return unsafeEscape.test(text);
}
const unsafeEscape = /\\u(?:0000|[dD][89a-fA-F])/;

/**
 * The JSON-pointer path of the first string (value or object key) in `value` that PostgreSQL could
 * not store, or undefined. Iterative, so a deeply nested body cannot overflow the stack here.
 */
export function findUnsafeText(value: unknown, at = ''): string | undefined {
  // Nearly all input is safe: it is checked without building a path per value, and the path is
  // only looked for when there is something to report.
  if (!hasUnsafeText(value)) return undefined;
  const pending: [unknown, string][] = [[value, at]];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      if (isUnsafeText(current)) return path || '/';
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], `${path}/${i}`]);
    } else if (current !== null && typeof current === 'object' && !Buffer.isBuffer(current)) {
      for (const [key, inner] of Object.entries(current)) {
        const escaped = key.replaceAll('~', '~0').replaceAll('/', '~1');
        if (isUnsafeText(key)) return `${path}/${escaped}`;
        pending.push([inner, `${path}/${escaped}`]);
      }
    }
  }
  return undefined;
}

function hasUnsafeText(value: unknown): boolean {
  if (typeof value === 'string') return isUnsafeText(value);
  if (value === null || typeof value !== 'object') return false;
  const pending: object[] = [value];
  while (pending.length > 0) {
    const current = pending.pop() as Record<string, unknown>;
    if (Buffer.isBuffer(current)) continue;
    const array = Array.isArray(current);
    for (const key of array ? [] : Object.keys(current)) if (isUnsafeText(key)) return true;
    for (const inner of array ? (current as unknown as unknown[]) : Object.values(current)) {
      if (typeof inner === 'string') {
        if (isUnsafeText(inner)) return true;
      } else if (inner !== null && typeof inner === 'object') pending.push(inner);
    }
  }
  return false;
}
