/**
 * The workflow expression language, deliberately small: `{{ $.a.b[0] }}` references into the
 * execution's scope (input, vars, step outputs, trigger) and a few comparisons. Nothing is
 * evaluated as code; a reference is a path walked through plain data.
 */

const template = /\{\{\s*(\$[^{}]*?)\s*\}\}/g;
const whole = /^\{\{\s*(\$[^{}]*?)\s*\}\}$/;
const segment = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d{1,6})\]/y;

/** The segments of a reference (`$.steps.call.output.items[0]` → steps, call, output, items, 0), or null when malformed. */
export function parsePath(reference: string): (string | number)[] | null {
  if (!reference.startsWith('$')) return null;
  const parts: (string | number)[] = [];
  segment.lastIndex = 1;
  while (segment.lastIndex < reference.length) {
    const at = segment.lastIndex;
    const match = segment.exec(reference);
    if (!match || match.index !== at) return null;
    parts.push(match[1] ?? Number(match[2]));
  }
  return parts;
}

/** Own properties only: a reference can never reach `__proto__` or a prototype's members. */
export function lookup(scope: unknown, reference: string): unknown {
  const path = parsePath(reference);
  if (!path) return undefined;
  let current: unknown = scope;
  for (const part of path) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

/** Every reference in a value (strings, arrays, objects, at any depth): for checking a definition. */
export function referencesIn(value: unknown): string[] {
  if (typeof value === 'string') return [...value.matchAll(template)].map((m) => m[1] as string);
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(referencesIn);
  return [];
}

const asText = (value: unknown) => (value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * Resolves the templates in a value. A string that is only one reference becomes the referenced
 * value as it is (a number stays a number); references inside longer strings are interpolated as text.
 */
export function resolve(value: unknown, scope: unknown): unknown {
  if (typeof value === 'string') {
    const single = whole.exec(value);
    if (single) return lookup(scope, single[1] as string);
    return value.replace(template, (_, reference: string) => asText(lookup(scope, reference)));
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, scope));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, scope)]));
  return value;
}

export type ComparisonOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'contains' | 'exists';

const equal = (a: unknown, b: unknown) => a === b || (a !== null && b !== null && typeof a === 'object' && JSON.stringify(a) === JSON.stringify(b));

/** A comparison of two resolved values; numbers compare as numbers, everything else as text. */
export function compare(left: unknown, op: ComparisonOp, right: unknown): boolean {
  switch (op) {
    case 'exists':
      return left !== undefined && left !== null;
    case 'eq':
      return equal(left, right);
    case 'ne':
      return !equal(left, right);
    case 'contains':
      if (Array.isArray(left)) return left.some((item) => equal(item, right));
      return typeof left === 'string' && left.includes(asText(right));
    default: {
      const numeric = typeof left === 'number' && typeof right === 'number';
      const [a, b] = numeric ? [left, right] : [asText(left), asText(right)];
      if (op === 'gt') return a > b;
      if (op === 'gte') return a >= b;
      if (op === 'lt') return a < b;
      return a <= b;
    }
  }
}
