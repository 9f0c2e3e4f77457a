import { operationsOf } from './contract-document.ts';

/**
 * Every integer a caller can send has a maximum and a minimum, and every string parameter a length
 * limit: an unbounded number is accepted by the contract and then overflows a bigint column, and an
 * unbounded parameter reaches the database at any size. Checked on the bundled contract (`npm run
 * contract`), where `$ref`s into the root document resolve.
 */

type Schema = Record<string, any>;

const boundedFormats = new Set(['uuid', 'date-time', 'date', 'time', 'email', 'ipv4', 'ipv6']);

function resolver(document: { components?: Record<string, any> }) {
  return (value: Schema | undefined): Schema | undefined => {
    let current = value;
    for (let hops = 0; current && typeof current.$ref === 'string' && hops < 20; hops++) {
      const match = /^#\/components\/([^/]+)\/(.+)$/.exec(current.$ref);
      current = match ? document.components?.[match[1]!]?.[match[2]!] : undefined;
    }
    return current;
  };
}

const typesOf = (schema: Schema): string[] => (Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : []);

/** Where in `schema` (a path like `body.items.count`) an integer lacks a bound. */
function unboundedIntegers(root: Schema | undefined, at: string, resolve: ReturnType<typeof resolver>): string[] {
  const found: string[] = [];
  const seen = new Set<Schema>();
  const visit = (value: Schema | undefined, where: string) => {
    const schema = resolve(value);
    if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
    seen.add(schema);
    if (typesOf(schema).includes('integer') && schema.enum === undefined && schema.const === undefined) {
      const missing = [
        schema.maximum === undefined && schema.exclusiveMaximum === undefined ? 'maximum' : '',
        schema.minimum === undefined && schema.exclusiveMinimum === undefined ? 'minimum' : '',
      ].filter(Boolean);
      if (missing.length > 0) found.push(`${where} (integer without ${missing.join(' and ')})`);
    }
    for (const [name, inner] of Object.entries(schema.properties ?? {})) visit(inner as Schema, `${where}.${name}`);
    for (const [name, inner] of Object.entries(schema.patternProperties ?? {})) visit(inner as Schema, `${where}[${name}]`);
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') visit(schema.additionalProperties, `${where}.*`);
    if (schema.items) visit(schema.items, `${where}[]`);
    for (const [i, inner] of (schema.prefixItems ?? []).entries()) visit(inner, `${where}[${i}]`);
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) for (const inner of schema[key] ?? []) visit(inner, where);
  };
  visit(root, at);
  return found;
}

function unboundedString(schema: Schema | undefined): boolean {
  if (!schema || !typesOf(schema).includes('string')) return false;
  return schema.maxLength === undefined && schema.enum === undefined && schema.const === undefined && !boundedFormats.has(schema.format);
}

export function checkInputBounds(document: { paths?: Record<string, Record<string, any>>; components?: Record<string, any> }): string[] {
  const resolve = resolver(document);
  const problems: string[] = [];
  for (const { path, method, operation } of operationsOf(document)) {
    const where = `${operation['x-plugin'] ?? 'core'}: ${method.toUpperCase()} ${path}`;
    const parameters = [...(document.paths?.[path]?.parameters ?? []), ...(operation.parameters ?? [])].map((p: Schema) => resolve(p) ?? {});
    for (const parameter of parameters) {
      const label = `${parameter.in} parameter ${parameter.name}`;
      for (const problem of unboundedIntegers(parameter.schema, label, resolve)) problems.push(`${where}: ${problem}`);
      const schema = resolve(parameter.schema);
      if (unboundedString(schema) || (schema?.items && unboundedString(resolve(schema.items)))) problems.push(`${where}: ${label} (string without maxLength)`);
    }
    const body = resolve(operation.requestBody);
    for (const [mediaType, media] of Object.entries((body?.content ?? {}) as Record<string, Schema>)) {
      for (const problem of unboundedIntegers(media.schema, `${mediaType} body`, resolve)) problems.push(`${where}: ${problem}`);
    }
  }
  return problems;
}
