import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from '../plugin-api/index.ts';
import type { DataFormat } from '../job-runs/job-run-store.ts';
import { findUnsafeText, unsafeTextMessage } from '../validation/text-safety.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** One problem of one row, as the error report lists it. */
export interface RowProblem {
  field: string;
  reason: string;
}

// CSV cells are text: that ajv coerces them to the schema's types ("60" → 60, "true" → true);
// JSON, NDJSON and YAML carry their own types and are checked as they are.
const strict = addFormats(new Ajv2020({ allErrors: true, strict: false }));
const coercing = addFormats(new Ajv2020({ allErrors: true, strict: false, coerceTypes: true }));

function problemOf(error: ErrorObject): RowProblem {
  const field = error.keyword === 'required' ? `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}` : error.instancePath;
  const extra = error.keyword === 'additionalProperties' ? ` (${(error.params as { additionalProperty: string }).additionalProperty})` : '';
  return { field: field.replace(/^\//, '').replaceAll('/', '.'), reason: `${error.message ?? 'invalid'}${extra}` };
}

/** Properties a CSV cell holds as JSON text (objects and arrays; what an export writes for them). */
function structuredColumns(schema: JsonSchema): string[] {
  const properties = (schema.properties ?? {}) as Record<string, { type?: string | string[] }>;
  return Object.entries(properties)
    .filter(([, p]) => [p.type].flat().some((type) => type === 'object' || type === 'array'))
    .map(([name]) => name);
}

/**
 * A kind's row check, compiled once per job: returns the row's problems (none when valid). CSV rows
 * are coerced in place, and their object and array cells parsed from JSON first.
 */
export function rowValidator(schema: JsonSchema, format: DataFormat): (row: Record<string, unknown>) => RowProblem[] {
  const validate = (format === 'csv' ? coercing : strict).compile(schema);
  const structured = format === 'csv' ? structuredColumns(schema) : [];
  return (row) => {
    const problems: RowProblem[] = [];
    for (const column of structured) {
      if (typeof row[column] !== 'string') continue;
      try {
        row[column] = JSON.parse(row[column] as string);
      } catch {
        problems.push({ field: column, reason: 'must be JSON (an object or array)' });
      }
    }
    const unsafe = findUnsafeText(row);
    if (unsafe) problems.push({ field: unsafe.replace(/^\//, '').replaceAll('/', '.'), reason: unsafeTextMessage });
    if (problems.length > 0) return problems;
    if (validate(row)) return [];
    return (validate.errors ?? []).map(problemOf);
  };
}
