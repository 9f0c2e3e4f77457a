import { type ContractOperation, type ContractParameter, isJsonMediaType, type JsonObject } from './contract-document.ts';
import type { OutgoingRequest } from './http-client.ts';
import { type Resolve, validCandidates, violations } from './sample-values.ts';
import type { SchemaValidator } from './schema-validation.ts';

/** Turns an operation into concrete requests: a minimal valid one, or one that breaks one constraint. */

export interface SampleContext {
  validator: SchemaValidator;
  resolve: Resolve;
}

export interface InputViolation {
  /** `query parameter times`, `request body`, ... */
  target: string;
  reason: string;
  /** The parameter (as listed on the operation) that carries `value`. */
  parameter?: ContractParameter;
  value?: unknown;
  body?: { mediaType: string; value: unknown };
}

export type BuiltRequest = { request: OutgoingRequest } | { skip: string };

/** Headers the transport owns; a parameter by these names is not ours to fill. */
const transportHeaders = new Set(['accept', 'content-type', 'authorization', 'x-correlation-id']);

function serialize(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.every((v) => v === null || typeof v !== 'object') ? value.map(String) : undefined;
  if (value !== null && typeof value === 'object') return undefined;
  return [String(value)];
}

function usableInPath(value: unknown): boolean {
  const text = serialize(value);
  return text?.length === 1 && text[0] !== '' && text[0] !== '.' && text[0] !== '..';
}

function firstValid(schema: JsonObject, context: SampleContext, usable: (value: unknown) => boolean = (v) => serialize(v) !== undefined): unknown {
  return validCandidates(schema, context.resolve).find((value) => usable(value) && context.validator.accepts(schema, value));
}

function jsonMediaType(content: Record<string, JsonObject>): string | undefined {
  return Object.keys(content).find((type) => isJsonMediaType(type.split(';')[0]!.trim().toLowerCase()));
}

/** The first query or path parameter with a constraint we can break, and a value that breaks it. */
export function parameterViolation(operation: ContractOperation, context: SampleContext): InputViolation | undefined {
  for (const parameter of operation.parameters) {
    if (parameter.in !== 'query' && parameter.in !== 'path') continue;
    for (const candidate of violations(parameter.schema, context.resolve)) {
      const usable = parameter.in === 'path' ? usableInPath(candidate.value) : serialize(candidate.value) !== undefined;
      if (!usable || context.validator.accepts(parameter.schema, candidate.value)) continue;
      return { target: `${parameter.in} parameter ${parameter.name}`, reason: candidate.reason, parameter, value: candidate.value };
    }
  }
  return undefined;
}

/** A JSON body that breaks the schema of a required request body. */
export function bodyViolation(operation: ContractOperation, context: SampleContext): InputViolation | undefined {
  if (!operation.requestBody?.required) return undefined;
  const mediaType = jsonMediaType(operation.requestBody.content);
  if (!mediaType) return undefined;
  const schema = operation.requestBody.content[mediaType]!.schema ?? {};
  const candidate = violations(schema, context.resolve).find((c) => !context.validator.accepts(schema, c.value));
  return candidate && { target: 'request body', reason: candidate.reason, body: { mediaType, value: candidate.value } };
}

/**
 * A request with every path parameter and every required query/header parameter filled in. With a
 * violation, that one part carries the bad value. `withoutBody` sends no body even when one is required.
 * `lenient` is for requests the server must refuse before validating (no credentials): a parameter
 * without a valid sample gets `sample` (path) or is left out, instead of giving up.
 */
export function buildRequest(
  operation: ContractOperation,
  context: SampleContext,
  options: { violation?: InputViolation; withoutBody?: boolean; lenient?: boolean } = {},
): BuiltRequest {
  const violation = options.violation;
  const sampleFor = (parameter: ContractParameter, usable?: (value: unknown) => boolean) =>
    violation?.parameter === parameter ? violation.value : firstValid(parameter.schema, context, usable);

  let path = operation.path;
  const query: [string, string][] = [];
  const headers: Record<string, string> = {};
  for (const parameter of operation.parameters) {
    const isViolated = violation?.parameter === parameter;
    if (parameter.in === 'path') {
      const value = sampleFor(parameter, usableInPath) ?? (options.lenient ? 'sample' : undefined);
      if (value === undefined) return { skip: `no valid sample for path parameter ${parameter.name}` };
      path = path.replaceAll(`{${parameter.name}}`, encodeURIComponent(String(value)));
    } else if ((parameter.required || isViolated) && parameter.in === 'query') {
      const value = sampleFor(parameter);
      if (value === undefined && options.lenient) continue;
      if (value === undefined) return { skip: `no valid sample for query parameter ${parameter.name}` };
      for (const text of serialize(value)!) query.push([parameter.name, text]);
    } else if (parameter.required && parameter.in === 'header' && !transportHeaders.has(parameter.name.toLowerCase())) {
      const value = sampleFor(parameter, (v) => serialize(v)?.length === 1);
      if (value === undefined && options.lenient) continue;
      if (value === undefined) return { skip: `no valid sample for header ${parameter.name}` };
      headers[parameter.name] = String(value);
    }
  }

  let body: string | undefined;
  if (options.violation?.body) {
    headers['content-type'] = options.violation.body.mediaType;
    body = JSON.stringify(options.violation.body.value);
  } else if (operation.requestBody?.required && !options.withoutBody) {
    const mediaType = jsonMediaType(operation.requestBody.content);
    const schema = mediaType ? operation.requestBody.content[mediaType]!.schema : undefined;
    const value = schema ? firstValid(schema, context, () => true) : undefined;
    if (!mediaType || value === undefined) return { skip: 'no valid sample for the request body' };
    headers['content-type'] = mediaType;
    body = JSON.stringify(value);
  }
  if (body !== undefined && (operation.method === 'GET' || operation.method === 'HEAD'))
    return { skip: `a ${operation.method} request with a body cannot be sent` };
  return { request: { method: operation.method, path, query, headers, body } };
}
