import pg from 'pg';

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
    const value = params[n - 1];
    if (value === null) return 'NULL';
    if (typeof value === 'boolean') return value ? 'true' : 'false';
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error('a statement value must be a finite number');
      return String(value);
    }
    if (value.includes('\0')) throw new Error('a statement value cannot hold NUL');
    return pg.escapeLiteral(value);
  });
  if (used !== params.length) throw new Error(`statement has ${used} placeholders for ${params.length} values`);
  return text;
}
