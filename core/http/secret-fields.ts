/**
 * The request body properties an operation's contract marks secret, so that mutation observers
 * (the audit trail) redact them: `writeOnly: true`, `format: password` or `x-secret: true`, at any
 * depth of the body schema. Computed once per operation object (the router's are immutable).
 */
const cache = new WeakMap<object, ReadonlySet<string>>();

type Schema = Record<string, unknown>;

export function secretFieldsOf(operation: Record<string, any>): ReadonlySet<string> {
  const known = cache.get(operation);
  if (known) return known;
  const names = new Set<string>();
  const content = (operation.requestBody?.content ?? {}) as Record<string, { schema?: Schema }>;
  const seen = new Set<object>();
  for (const media of Object.values(content)) collect(media?.schema, names, seen);
  cache.set(operation, names);
  return names;
}

export function isSecretSchema(schema: Schema): boolean {
  return schema.writeOnly === true || schema.format === 'password' || schema['x-secret'] === true;
}

function collect(schema: unknown, names: Set<string>, seen: Set<object>): void {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return;
  seen.add(schema);
  const node = schema as Schema;
  for (const [name, property] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
    if (property && typeof property === 'object' && isSecretSchema(property)) names.add(name);
    collect(property, names, seen);
  }
  for (const key of ['items', 'additionalProperties', 'not']) collect(node[key], names, seen);
  for (const key of ['allOf', 'oneOf', 'anyOf']) for (const part of (node[key] as unknown[] | undefined) ?? []) collect(part, names, seen);
}
