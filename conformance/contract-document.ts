/**
 * Reading the served OpenAPI 3.1 document: operations with their parameters, request body and
 * responses, `$ref`s to `#/components/...` followed. Knows nothing about HTTP or the server.
 */

export type JsonObject = Record<string, any>;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface ContractParameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
  required: boolean;
  schema: JsonObject;
}

export interface ContractOperation {
  /** How results name the operation: its operationId, or `METHOD path` when it has none. */
  label: string;
  operationId?: string;
  method: string;
  path: string;
  definition: JsonObject;
  parameters: ContractParameter[];
  requestBody?: { required: boolean; content: Record<string, JsonObject> };
  responses: Record<string, JsonObject>;
  isPublic: boolean;
}

export interface ContractPath {
  path: string;
  methods: string[];
  /** Path parameters of the first operation, to fill the template in. */
  parameters: ContractParameter[];
}

/** Follows local `$ref`s (`#/...`) until it reaches an object without one. */
export function resolveRef(document: JsonObject, value: unknown): JsonObject {
  let current = value as JsonObject;
  for (let hops = 0; current && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    if (hops > 32) throw new Error(`$ref cycle at ${current.$ref}`);
    if (!current.$ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${current.$ref}`);
    current = current.$ref
      .slice(2)
      .split('/')
      .map((part: string) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce((node: any, key: string) => node?.[key], document);
    if (current === undefined) throw new Error(`unresolvable $ref`);
  }
  return current;
}

function parametersOf(document: JsonObject, pathItem: JsonObject, operation: JsonObject): ContractParameter[] {
  const merged = new Map<string, ContractParameter>();
  for (const raw of [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])]) {
    const parameter = resolveRef(document, raw);
    const schema = parameter.schema ?? Object.values<JsonObject>(parameter.content ?? {})[0]?.schema ?? {};
    merged.set(`${parameter.in}:${parameter.name}`, {
      name: parameter.name,
      in: parameter.in,
      required: parameter.in === 'path' || parameter.required === true,
      schema,
    });
  }
  return [...merged.values()];
}

export function listOperations(document: JsonObject): ContractOperation[] {
  const operations: ContractOperation[] = [];
  for (const [path, rawPathItem] of Object.entries<JsonObject>(document.paths ?? {})) {
    const pathItem = resolveRef(document, rawPathItem);
    for (const method of HTTP_METHODS) {
      const definition = pathItem[method] as JsonObject | undefined;
      if (!definition || typeof definition !== 'object') continue;
      const body = definition.requestBody ? resolveRef(document, definition.requestBody) : undefined;
      const responses: Record<string, JsonObject> = {};
      for (const [status, response] of Object.entries(definition.responses ?? {})) responses[status] = resolveRef(document, response);
      const operationId = typeof definition.operationId === 'string' && definition.operationId !== '' ? definition.operationId : undefined;
      operations.push({
        label: operationId ?? `${method.toUpperCase()} ${path}`,
        operationId,
        method: method.toUpperCase(),
        path,
        definition,
        parameters: parametersOf(document, pathItem, definition),
        requestBody: body ? { required: body.required === true, content: body.content ?? {} } : undefined,
        responses,
        isPublic: definition['x-public'] === true,
      });
    }
  }
  return operations;
}

export function listPaths(operations: ContractOperation[]): ContractPath[] {
  const paths = new Map<string, ContractPath>();
  for (const operation of operations) {
    const entry = paths.get(operation.path) ?? { path: operation.path, methods: [], parameters: operation.parameters.filter((p) => p.in === 'path') };
    entry.methods.push(operation.method);
    paths.set(operation.path, entry);
  }
  return [...paths.values()];
}

/** The documented response for a status: exact code, then `4XX`-style range, then `default`. */
export function documentedResponse(operation: ContractOperation, status: number): JsonObject | undefined {
  const range = `${String(status)[0]}XX`;
  const key = Object.keys(operation.responses).find((k) => k === String(status)) ?? Object.keys(operation.responses).find((k) => k.toUpperCase() === range);
  return operation.responses[key ?? 'default'];
}

export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/** The documented media type a response's type falls under (`text/*` and `*\/*` count), if any. */
export function matchMediaType(documented: string[], actual: string): string | undefined {
  return documented.find((candidate) => {
    const expected = candidate.split(';')[0]!.trim().toLowerCase();
    if (expected === actual || expected === '*/*') return true;
    return expected.endsWith('/*') && actual.startsWith(expected.slice(0, -1));
  });
}
