import { randomUUID } from 'node:crypto';
import type { JsonObject } from './contract-document.ts';

/**
 * Candidate values for a JSON schema: ones meant to be valid and ones meant to violate exactly one
 * constraint. They are candidates, not guarantees (patterns are not inverted): the caller keeps the
 * first one the schema validator agrees with.
 */

export type Resolve = (schema: unknown) => JsonObject;

export interface Violation {
  value: unknown;
  /** What the value violates, e.g. `above maximum 3`. */
  reason: string;
}

/** Follows `$ref`s and folds `allOf` into one schema (properties and required are merged). */
function flatten(schema: unknown, resolve: Resolve): JsonObject {
  const resolved = resolve(schema ?? {});
  if (!Array.isArray(resolved.allOf)) return resolved;
  const { allOf, ...rest } = resolved;
  const merged: JsonObject = { ...rest };
  for (const part of allOf.map((p: unknown) => flatten(p, resolve))) {
    for (const [key, value] of Object.entries(part)) {
      if (key === 'properties') merged.properties = { ...merged.properties, ...(value as JsonObject) };
      else if (key === 'required') merged.required = [...new Set([...(merged.required ?? []), ...(value as string[])])];
      else merged[key] ??= value;
    }
  }
  return merged;
}

function primaryType(schema: JsonObject): string | undefined {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((t: string) => t !== 'null') ?? schema.type[0];
  if (schema.properties || schema.required) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

const formatSamples: Record<string, () => string> = {
  uuid: () => randomUUID(),
  'date-time': () => new Date().toISOString(),
  date: () => new Date().toISOString().slice(0, 10),
  time: () => '12:00:00Z',
  email: () => 'conformance@example.com',
  'idn-email': () => 'conformance@example.com',
  uri: () => 'https://example.com/',
  url: () => 'https://example.com/',
  'uri-reference': () => '/conformance',
  hostname: () => 'example.com',
  ipv4: () => '192.0.2.1',
  ipv6: () => '2001:db8::1',
  byte: () => 'c2FtcGxl',
  duration: () => 'PT1M',
};

const prefixes = (word: string) => Array.from({ length: word.length }, (_, i) => word.slice(0, word.length - i));
const plainStrings = [
  ...['sample', 'sample-1', 'sample1', 'SAMPLE', 'sample_1', 'sample.1', 'sample value', 'a1', 'A1'],
  ...prefixes('samples'),
  ...prefixes('SAMPLES'),
  ...prefixes('1234567'),
];

function fitLength(text: string, schema: JsonObject): string {
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  let out = text;
  while (out.length < min) out += out.at(-1) ?? 'a';
  return out.slice(0, max);
}

function numericCandidates(schema: JsonObject, integer: boolean): number[] {
  const step = typeof schema.multipleOf === 'number' ? schema.multipleOf : integer ? 1 : undefined;
  let low = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  if (typeof schema.exclusiveMinimum === 'number') low = schema.exclusiveMinimum + (step ?? 0.5);
  let high = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  if (typeof schema.exclusiveMaximum === 'number') high = schema.exclusiveMaximum - (step ?? 0.5);
  const snap = (n: number) => (step ? Math.ceil(n / step) * step : n);
  // Smallest first: a `ms` or `limit` parameter then asks for the least work.
  const middle = low !== undefined && high !== undefined ? (low + high) / 2 : undefined;
  const candidates = [low, 1, 0, high, middle].filter((n): n is number => n !== undefined).map(snap);
  return [...new Set(candidates)];
}

/** Values that should satisfy the schema, most minimal first; defaults and enums come first. */
export function validCandidates(rawSchema: unknown, resolve: Resolve, depth = 0): unknown[] {
  const schema = flatten(rawSchema, resolve);
  const out: unknown[] = [];
  if ('const' in schema) return [schema.const];
  if (schema.default !== undefined) out.push(schema.default);
  if (Array.isArray(schema.enum)) out.push(...schema.enum);
  if (Array.isArray(schema.examples)) out.push(...schema.examples);
  if (schema.example !== undefined) out.push(schema.example);
  for (const branch of [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].slice(0, 4)) out.push(...validCandidates(branch, resolve, depth + 1).slice(0, 2));
  if (depth > 8) return out;
  switch (primaryType(schema)) {
    case 'string': {
      const format = formatSamples[schema.format as string];
      if (format) out.push(format());
      out.push(...plainStrings.map((s) => fitLength(s, schema)));
      break;
    }
    case 'integer':
      out.push(...numericCandidates(schema, true));
      break;
    case 'number':
      out.push(...numericCandidates(schema, false));
      break;
    case 'boolean':
      out.push(true, false);
      break;
    case 'null':
      out.push(null);
      break;
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const item = count > 0 ? validCandidates(schema.items ?? {}, resolve, depth + 1)[0] : undefined;
      out.push(Array.from({ length: count }, () => item));
      break;
    }
    case 'object': {
      const value: JsonObject = {};
      for (const name of schema.required ?? []) value[name] = validCandidates(schema.properties?.[name] ?? {}, resolve, depth + 1)[0] ?? 'sample';
      out.push(value);
      break;
    }
    default:
      out.push('sample');
  }
  return out;
}

/** Values that should each break one constraint of the schema, most telling first. */
export function violations(rawSchema: unknown, resolve: Resolve): Violation[] {
  const schema = flatten(rawSchema, resolve);
  const out: Violation[] = [];
  if (Array.isArray(schema.enum) || 'const' in schema) out.push({ value: '__conformance_not_allowed__', reason: 'not one of the allowed values' });
  switch (primaryType(schema)) {
    case 'integer':
    case 'number':
      if (typeof schema.maximum === 'number') out.push({ value: schema.maximum + 1, reason: `above maximum ${schema.maximum}` });
      if (typeof schema.exclusiveMaximum === 'number') out.push({ value: schema.exclusiveMaximum, reason: `not below ${schema.exclusiveMaximum}` });
      if (typeof schema.minimum === 'number') out.push({ value: schema.minimum - 1, reason: `below minimum ${schema.minimum}` });
      if (typeof schema.exclusiveMinimum === 'number') out.push({ value: schema.exclusiveMinimum, reason: `not above ${schema.exclusiveMinimum}` });
      out.push({ value: 'not-a-number', reason: `not ${schema.type === 'integer' ? 'an integer' : 'a number'}` });
      if (primaryType(schema) === 'integer') out.push({ value: 1.5, reason: 'not an integer' });
      break;
    case 'boolean':
      out.push({ value: 'not-a-boolean', reason: 'not a boolean' });
      break;
    case 'string':
      if (typeof schema.pattern === 'string') {
        for (const text of ['!!!', '~~~', '***', '$$$', '___', 'x y', '0', 'a'])
          out.push({ value: fitLength(text, schema), reason: `does not match ${schema.pattern}` });
      }
      if (typeof schema.format === 'string') out.push({ value: `not-a-${schema.format}`, reason: `not a valid ${schema.format}` });
      if (typeof schema.maxLength === 'number' && schema.maxLength < 2000)
        out.push({ value: 'x'.repeat(schema.maxLength + 1), reason: `longer than ${schema.maxLength}` });
      if (typeof schema.minLength === 'number' && schema.minLength > 1)
        out.push({ value: 'x'.repeat(schema.minLength - 1), reason: `shorter than ${schema.minLength}` });
      break;
    case 'object':
      if (Array.isArray(schema.required) && schema.required.length > 0) out.push({ value: {}, reason: `missing required ${schema.required.join(', ')}` });
      out.push({ value: [], reason: 'an array instead of an object' });
      break;
    case 'array':
      out.push({ value: {}, reason: 'an object instead of an array' });
      break;
  }
  return out;
}
