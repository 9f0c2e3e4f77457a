import { readFileSync, statSync } from 'node:fs';
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
    entry = { mtimeMs, document: parse(readFileSync(source, 'utf8')) as Record<string, any> };
    parsed.set(source.href, entry);
  }
  return structuredClone(entry.document);
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
