import { readDocument } from '../contract/contract-document.ts';

/**
 * One plugin contract from several files, so a plugin can keep each feature's paths and schemas
 * beside its code (`heartbeats.openapi.yaml`, `endpoints.openapi.yaml`, …). Paths and components
 * are merged; the same path or component in two files is an error naming both, as between plugins.
 */
export function openapiFiles(...files: URL[]): Record<string, unknown> {
  const merged: {
    openapi: string;
    info: Record<string, unknown>;
    tags: unknown[];
    paths: Record<string, unknown>;
    components: Record<string, Record<string, unknown>>;
  } = {
    openapi: '3.1.0',
    info: {},
    tags: [],
    paths: {},
    components: {},
  };
  const owners = new Map<string, URL>();
  const claim = (key: string, file: URL) => {
    const owner = owners.get(key);
    if (owner) throw new Error(`${key} is defined in both ${owner.pathname} and ${file.pathname}`);
    owners.set(key, file);
  };
  for (const file of files) {
    const doc = readDocument(file);
    if (Object.keys(merged.info).length === 0) merged.info = doc.info ?? {};
    merged.tags.push(...(doc.tags ?? []));
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      claim(`path ${path}`, file);
      merged.paths[path] = item;
    }
    for (const [kind, entries] of Object.entries((doc.components ?? {}) as Record<string, Record<string, unknown>>)) {
      merged.components[kind] ??= {};
      for (const [name, value] of Object.entries(entries)) {
        claim(`components.${kind}.${name}`, file);
        merged.components[kind][name] = value;
      }
    }
  }
  return merged;
}
