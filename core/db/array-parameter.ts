/**
 * A flat array bound as the literal pg would write for it, written here in one pass: a batch
 * statement binds arrays of a thousand elements or more, and pg's quoting (two regular expressions
 * per element) was 7 % of a telemetry batch's server CPU. Its length goes along to the client:
 * a statement binding a long array is planned with its values (see PreparingClient).
 */
export class ArrayParameter {
  constructor(
    readonly literal: string,
    readonly length: number,
  ) {}

  /** What pg binds (pg calls it for any object that has it). */
  toPostgres(): string {
    return this.literal;
  }
}

const needsEscape = /["\\]/;
const escaped = /["\\]/g;

/**
 * The parameter for a flat array of strings, finite numbers, booleans and nulls, or undefined for
 * any other array (nested, dates, buffers: pg writes those). Numbers and booleans need no quotes; a
 * string is quoted, and escaped only when it holds a quote or a backslash.
 */
export function arrayParameter(values: unknown[]): ArrayParameter | undefined {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    if (typeof value === 'string') out += needsEscape.test(value) ? `"${value.replace(escaped, '\\$&')}"` : `"${value}"`;
    else if (typeof value === 'number') out += Number.isFinite(value) ? String(value) : `"${value}"`;
    else if (value === null || value === undefined) out += 'NULL';
    else if (typeof value === 'boolean') out += value ? 'true' : 'false';
    else return undefined;
  }
  return new ArrayParameter(`${out}}`, values.length);
}
