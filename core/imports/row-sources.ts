import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import streamArray from 'stream-json/streamers/stream-array.js';
import { Composer, Parser as YamlParser } from 'yaml';
import type { DataFormat } from '../job-runs/job-run-store.ts';

/** One record of an import file: its position among the file's rows (from 1) and its value, or why it could not be read. */
export type SourceRow = { row: number; value: Record<string, unknown> } | { row: number; error: string };

/** The whole file cannot be read further (broken CSV quoting, a JSON syntax error): the import stops. */
export class UnreadableFileError extends Error {
  readonly code = 'unreadable_file';
}

/** A line or document longer than this is refused as a row instead of being held. */
const maxRecordBytes = 1024 * 1024;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** CSV: a header row names the columns; cells are strings (the validator coerces them), empty ones absent. */
async function* csvRows(input: Readable): AsyncGenerator<SourceRow> {
  const parser = input.pipe(
    parseCsv({
      columns: (header: string[]) => header.map((name) => name.trim()),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      max_record_size: maxRecordBytes,
    }),
  );
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<Record<string, string>>) {
      row += 1;
      const value: Record<string, unknown> = {};
      for (const [name, cell] of Object.entries(record)) if (cell !== '' && cell !== undefined) value[name] = cell;
      yield { row, value };
    }
  } catch (error) {
    throw new UnreadableFileError(`The CSV cannot be read after row ${row}: ${(error as Error).message}`);
  }
}

/** NDJSON: one JSON object per line; a bad line is that row's error, the others go on. */
async function* ndjsonRows(input: Readable): AsyncGenerator<SourceRow> {
  input.setEncoding('utf8');
  let row = 0;
  for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() === '') continue;
    row += 1;
    if (line.length > maxRecordBytes) {
      yield { row, error: `the line is longer than ${maxRecordBytes} bytes` };
      continue;
    }
    try {
      const value = JSON.parse(line);
      yield isObject(value) ? { row, value } : { row, error: 'must be a JSON object' };
    } catch (error) {
      yield { row, error: `not valid JSON: ${(error as Error).message}` };
    }
  }
}

/** JSON: one top-level array, read element by element (stream-json), never the whole document. */
async function* jsonRows(input: Readable): AsyncGenerator<SourceRow> {
  const elements = input.pipe(streamArray.withParserAsStream());
  let row = 0;
  try {
    for await (const { value } of elements as AsyncIterable<{ key: number; value: unknown }>) {
      row += 1;
      yield isObject(value) ? { row, value } : { row, error: 'must be a JSON object' };
    }
  } catch (error) {
    throw new UnreadableFileError(`The JSON cannot be read after row ${row} (it must be one array of objects): ${(error as Error).message}`);
  }
}

/**
 * YAML: a stream of documents (`---` between them), composed one at a time as the text arrives;
 * each document is one row, or a sequence of rows. A document is held whole while it is composed.
 */
async function* yamlRows(input: Readable): AsyncGenerator<SourceRow> {
  input.setEncoding('utf8');
  const parser = new YamlParser();
  const composer = new Composer();
  let row = 0;
  function* rowsOf(doc: ReturnType<Composer['end']> extends Generator<infer D> ? D : never): Generator<SourceRow> {
    if (doc.errors.length > 0) {
      row += 1;
      yield { row, error: `not valid YAML: ${doc.errors[0].message.split('\n')[0]}` };
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    for (const item of Array.isArray(value) ? value : value === null || value === undefined ? [] : [value]) {
      row += 1;
      yield isObject(item) ? { row, value: item } : { row, error: 'must be a mapping' };
    }
  }
  for await (const chunk of input as AsyncIterable<string>) {
    for (const token of parser.parse(chunk, true)) for (const doc of composer.next(token)) yield* rowsOf(doc);
  }
  for (const token of parser.parse('', false)) for (const doc of composer.next(token)) yield* rowsOf(doc);
  for (const doc of composer.end()) yield* rowsOf(doc);
}

/** The rows of an import file, in order, read as they stream in. */
export function rowsOf(format: DataFormat, input: Readable): AsyncGenerator<SourceRow> {
  switch (format) {
    case 'csv':
      return csvRows(input);
    case 'json':
      return jsonRows(input);
    case 'ndjson':
      return ndjsonRows(input);
    case 'yaml':
      return yamlRows(input);
  }
}
