import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';

export type OpenApiDocument = {
  openapi: string;
  info: Record<string, unknown>;
  paths: Record<string, Record<string, any>>;
  components?: Record<string, Record<string, unknown>>;
  tags?: { name: string; description?: string }[];
  [key: string]: unknown;
};

export const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

// Parsing YAML is the largest part of a boot's CPU; a process that boots several kernels (tests, the
// contract scripts) parses each file once. Keyed by modification time, so an edited file is read again.
const parsed = new Map<string, { mtimeMs: number; document: Record<string, any> }>();

/** Reads a YAML or JSON document from a file URL (or returns a given object as is); the caller owns the copy it gets. */
export function readDocument(source: URL | Record<string, unknown>): Record<string, any> {
  if (!(source instanceof URL)) return source;
  const mtimeMs = statSync(source).mtimeMs;
  let entry = parsed.get(source.href);
  if (entry?.mtimeMs !== mtimeMs) {
    entry = { mtimeMs, document: parseCached(readFileSync(source, 'utf8')) };
    parsed.set(source.href, entry);
  }
  return structuredClone(entry.document);
}

/**
 * Every process that boots a kernel (each test file, each node) parses the same few hundred kB of
 * YAML: the parsed form is kept as JSON, by the text's hash, under node_modules/.cache, which reads
 * ten times faster. Only a document JSON gives back unchanged is kept (YAML can say .inf); a cache
 * that cannot be written or read is parsed past.
 */
export const parsedYamlCache = new URL('../../node_modules/.cache/itops-contract/', import.meta.url);

function parseCached(text: string): Record<string, any> {
  const file = new URL(`${createHash('sha256').update(text).digest('hex')}.json`, parsedYamlCache);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;
  } catch {
    // Not cached yet (or unreadable): parse it.
  }
  const document = parse(text) as Record<string, any>;
  try {
    const json = JSON.stringify(document);
    if (isDeepStrictEqual(JSON.parse(json), document)) {
      mkdirSync(parsedYamlCache, { recursive: true });
      // Whole or not at all: processes starting together may write the same entry.
      const partial = new URL(`${file.href}.${process.pid}.tmp`);
      writeFileSync(partial, json);
      renameSync(partial, file);
    }
  } catch {
    // A read-only install parses every time.
  }
  return document;
}

export function rootDocumentUrl(): URL {
  return new URL('../../openapi/root.yaml', import.meta.url);
}

/** Every operation of a document with its path and method. */
export function* operationsOf(doc: { paths?: Record<string, Record<string, any>> }) {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of httpMethods) {
      const operation = item?.[method];
      if (operation) yield { path, method, operation };
    }
  }
}
