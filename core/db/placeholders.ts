import { createRequire } from 'node:module';
import pg from 'pg';

/** pg's own text form of a parameter value (dates, buffers, objects as JSON), as it would bind it. */
export const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils') as { prepareValue(value: unknown): string | Buffer | null };

// Literals, quoted names, comments and dollar-quoted bodies (a migration's DO block) keep their `?`.
const tokens = /'(?:[^']|'')*'|"(?:[^"])*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1\$|\?/g;

/** Each `?` placeholder of our raw SQL outside quoted text, replaced by `replace(n)` (n counts from 1). */
export function replacePlaceholders(sql: string, replace: (n: number) => string): string {
  let n = 0;
  return sql.replace(tokens, (match) => (match === '?' ? replace(++n) : match));
}

/**
 * A statement with its values written in as quoted literals, for SQL sent with COMMIT as one simple
 * query (which takes no parameters). pg's escapeLiteral doubles quotes and backslashes; a NUL
 * would end the query text early, so it is refused.
 */
export function inlineParameters(sql: string, params: readonly (string | number | boolean | null)[]): string {
  let used = 0;
  const text = replacePlaceholders(sql, (n) => {
    used = n;
    if (n > params.length) throw new Error(`statement has more placeholders than its ${params.length} values`);
    const value = checkedCommitValue(params[n - 1]);
    if (value === null) return 'NULL';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') return String(value);
    return pg.escapeLiteral(value);
  });
  if (used !== params.length) throw new Error(`statement has ${used} placeholders for ${params.length} values`);
  return text;
}

/** A statement sent with a COMMIT (`?` placeholders): bound when the connection pipelines it, inlined when it goes as one simple query. */
export interface CommitStatement {
  sql: string;
  params: readonly (string | number | boolean | null)[];
}

/**
 * An observer's values for a statement sent with the COMMIT, refused up front as inlineParameters
 * would refuse them: bound, a NUL or NaN would reach PostgreSQL (which takes NaN for a numeric).
 */
export function checkedCommitParameters<T extends string | number | boolean | null>(params: readonly T[]): readonly T[] {
  for (const value of params) checkedCommitValue(value);
  return params;
}

/** A NUL would end an inlined query text early; NaN and Infinity are no SQL literal, and bound, a numeric takes NaN. */
function checkedCommitValue<T extends string | number | boolean | null>(value: T): T {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('a statement value must be a finite number');
  if (typeof value === 'string' && value.includes('\0')) throw new Error('a statement value cannot hold NUL');
  return value;
}

/** A statement's text around its `?` placeholders, by statement: the scan is the costly part. */
const split = new Map<string, string[]>();

function partsOf(sql: string): string[] {
  let parts = split.get(sql);
  if (parts === undefined) {
    parts = [];
    let last = 0;
    for (const match of sql.matchAll(tokens)) {
      if (match[0] !== '?') continue;
      parts.push(sql.slice(last, match.index));
      last = match.index + 1;
    }
    parts.push(sql.slice(last));
    if (split.size >= 5000) split.clear();
    split.set(sql, parts);
  }
  return parts;
}

/**
 * A statement with its values written in as the quoted literals of the text pg would bind them as,
 * so they keep the unknown type a bound parameter has and PostgreSQL resolves them the same way; for
 * a statement that travels in a simple query with others. Undefined when a value holds a NUL (no
 * query text can carry one: bound, PostgreSQL refuses it with its own error).
 */
export function inlinedStatement(sql: string, values: readonly unknown[]): string | undefined {
  const parts = partsOf(sql);
  if (parts.length - 1 !== values.length) throw new Error(`statement has ${parts.length - 1} placeholders for ${values.length} values`);
  let text = parts[0];
  for (let i = 0; i < values.length; i++) {
    const prepared = prepareValue(values[i]);
    if (prepared === null) text += 'NULL';
    else {
      const value = typeof prepared === 'string' ? prepared : `\\x${prepared.toString('hex')}`;
      if (value.includes('\0')) return undefined;
      text += quoted(value);
    }
    text += parts[i + 1];
  }
  return text;
}

const quoteOrBackslash = /['\\]/;

/** pg.escapeLiteral's literal, without its loop over every character (a value may be a large JSON). */
function quoted(value: string): string {
  if (!quoteOrBackslash.test(value)) return `'${value}'`;
  const doubled = value.replaceAll("'", "''");
  return value.includes('\\') ? ` E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}
