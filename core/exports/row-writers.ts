import { Transform } from 'node:stream';
import { stringify as csvStringify } from 'csv-stringify';
import { stringify as yamlStringify } from 'yaml';
import type { DataFormat } from '../job-runs/job-run-store.ts';

export const contentTypes: Record<DataFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  yaml: 'application/yaml',
};

/** Dates as RFC 3339 text: what the row schemas say and every format can carry. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === undefined) continue;
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

/** JSON: one array, written element by element. */
function jsonArray(): Transform {
  let first = true;
  return new Transform({
    writableObjectMode: true,
    transform(row: Record<string, unknown>, _encoding, done) {
      done(null, `${first ? '[\n' : ',\n'}${JSON.stringify(plain(row))}`);
      first = false;
    },
    flush(done) {
      done(null, first ? '[]\n' : '\n]\n');
    },
  });
}

function perRow(format: (row: Record<string, unknown>) => string): Transform {
  return new Transform({
    writableObjectMode: true,
    transform(row: Record<string, unknown>, _encoding, done) {
      done(null, format(plain(row)));
    },
  });
}

/**
 * An object-mode stream turning rows into the file's text, in the same shapes imports read: CSV with
 * a header of `columns` (objects and arrays as JSON text), a JSON array, NDJSON, or YAML documents.
 */
export function rowWriter(format: DataFormat, columns: string[]): Transform {
  switch (format) {
    case 'csv': {
      const csv = csvStringify({
        header: true,
        columns,
        cast: { object: (value) => JSON.stringify(value), boolean: (value) => String(value), date: (value) => value.toISOString() },
      });
      return csv;
    }
    case 'json':
      return jsonArray();
    case 'ndjson':
      return perRow((row) => `${JSON.stringify(row)}\n`);
    case 'yaml':
      return perRow((row) => `---\n${yamlStringify(row)}`);
  }
}
