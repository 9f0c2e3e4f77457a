import fc from 'fast-check';
import type { Caller } from './bad-input.ts';
import { type CheckContext, errorFormatProblem, responseProblem, summary } from './checks.ts';
import { type ContractOperation, isJsonMediaType, type JsonObject } from './contract-document.ts';
import { describeFetchError, type OutgoingRequest, type ReceivedResponse } from './http-client.ts';
import { validCandidates } from './sample-values.ts';

/**
 * Property-based requests from the contract's own schemas (fast-check): for every operation, valid
 * requests and requests with one random fault (a wrong type, a value past a bound, a NUL, an unknown
 * property, a missing required one). Whatever is sent, the server must answer below 500, with a
 * status the operation documents (or a refusal every operation may give), in the documented schema
 * for 2xx and in the standard error format for 4xx.
 *
 * Operations that would end the fuzzing caller's own session or change the platform for everyone
 * (logout, key and secret rotation, licenses, platform settings, first run) are not fuzzed.
 */

// (And the example plugin's deliberately slow route, which would only measure its own delay.)
const unsafe = /logout|revoke|rotate|license|platformsetting|setup|firstrun|terminate|deletetenant|deleteuser|deactivate|shutdown|masterkey|exampleslow/i;
const alwaysAllowed = new Set([401, 403, 404, 409, 413, 415, 422, 429]);
// Node's HTTP parser refuses an oversized URL or header block itself, before any route (no body).
const refusedByTheParser = new Set([414, 431]);

export interface FuzzSummary {
  sent: number;
  failures: string[];
  byStatus: Record<string, number>;
}

type Resolve = (schema: unknown) => JsonObject;

function flatten(schema: unknown, resolve: Resolve): JsonObject {
  const resolved = resolve(schema ?? {});
  if (!Array.isArray(resolved.allOf)) return resolved;
  const merged: JsonObject = { ...resolved, allOf: undefined };
  for (const part of resolved.allOf.map((p: unknown) => flatten(p, resolve))) {
    merged.properties = { ...merged.properties, ...part.properties };
    merged.required = [...new Set([...(merged.required ?? []), ...(part.required ?? [])])];
    for (const [key, value] of Object.entries(part)) if (key !== 'properties' && key !== 'required') merged[key] ??= value;
  }
  return merged;
}

const typeOf = (schema: JsonObject): string | undefined =>
  typeof schema.type === 'string'
    ? schema.type
    : Array.isArray(schema.type)
      ? schema.type.find((t: string) => t !== 'null')
      : schema.properties
        ? 'object'
        : schema.items
          ? 'array'
          : undefined;

const formats: Record<string, fc.Arbitrary<string>> = {
  uuid: fc.uuid({ version: 4 }),
  'date-time': fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  date: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  email: fc.emailAddress(),
  uri: fc.webUrl(),
};

/** Values meant to match `schema` (patterns are not inverted: candidates that match stand in). */
export function valid(rawSchema: unknown, resolve: Resolve, depth = 0): fc.Arbitrary<unknown> {
  const schema = flatten(rawSchema, resolve);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...schema.enum);
  const variants = schema.oneOf ?? schema.anyOf;
  if (Array.isArray(variants) && variants.length > 0) return fc.oneof(...variants.map((v: unknown) => valid(v, resolve, depth + 1)));
  switch (typeOf(schema)) {
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1000, -(2 ** 31)), max: Math.min(schema.maximum ?? 1000, 2 ** 31) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'string': {
      if (schema.pattern || (schema.format && !formats[schema.format])) {
        const candidates = validCandidates(schema, resolve).filter((v) => typeof v === 'string');
        if (candidates.length > 0) return fc.constantFrom(...candidates);
      }
      if (schema.format && formats[schema.format]) return formats[schema.format];
      const minLength = schema.minLength ?? 0;
      return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 40, 40)), unit: 'grapheme-ascii' });
    }
    case 'array':
      if (depth > 4) return fc.constant([]);
      return fc.array(valid(schema.items ?? {}, resolve, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object': {
      if (depth > 4) return fc.constant({});
      const properties = (schema.properties ?? {}) as Record<string, unknown>;
      const required = new Set<string>(schema.required ?? []);
      const entries = Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, valid(sub, resolve, depth + 1)]));
      return fc.record(entries, { requiredKeys: [...required].filter((name) => name in entries) });
    }
    default:
      return fc.constant(null);
  }
}

/** One fault put into an otherwise valid value (the oversized string only in bodies: a URL that long is the parser's). */
const faults = (inBody: boolean): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant('\u0000'),
    fc.constant(1e30),
    fc.constant(-1),
    fc.constant(''),
    fc.constant(inBody ? 'x'.repeat(70_000) : 'x'.repeat(3_000)),
    fc.constant([]),
    fc.constant({ unexpected: true }),
    fc.constant(null),
    fc.constant(true),
    fc.string({ unit: 'binary', maxLength: 8 }),
  );

function withFault(value: unknown, random: fc.Random, fault: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const choice = random.nextInt(0, keys.length + 1);
    if (choice === keys.length) return { ...value, fuzzUnknownProperty: fault };
    if (choice === keys.length + 1 && keys.length > 0) {
      const { [keys[0]!]: _, ...rest } = value as Record<string, unknown>;
      return rest;
    }
    const key = keys[choice]!;
    return { ...value, [key]: withFault((value as Record<string, unknown>)[key], random, fault) };
  }
  if (Array.isArray(value) && value.length > 0) return value.map((item, i) => (i === 0 ? withFault(item, random, fault) : item));
  return fault;
}

/** What is wrong with an answer, if anything. */
function judge(operation: ContractOperation, response: ReceivedResponse, faulty: boolean, context: CheckContext): string | undefined {
  if (response.status >= 500) return `${response.status} ${response.text.slice(0, 200)}`;
  if (refusedByTheParser.has(response.status)) return undefined;
  if (response.status >= 400) {
    // A page (the status page, the setup form) answers its errors as the page's media type, as documented.
    const documented = operation.responses[String(response.status)]?.content as Record<string, unknown> | undefined;
    const asPage = documented && !Object.keys(documented).some(isJsonMediaType);
    if (asPage) return responseProblem(operation, response, context);
    return (
      errorFormatProblem(response, context) ??
      (alwaysAllowed.has(response.status) || response.status === 400 ? undefined : responseProblem(operation, response, context))
    );
  }
  // A request with a fault that was accepted anyway (the fault happened to be allowed) is not judged further.
  return faulty ? undefined : responseProblem(operation, response, context);
}

interface Planned {
  operation: ContractOperation;
  request: OutgoingRequest;
  faulty: boolean;
}

/** One request for `operation`: valid parameters and body, or with one fault somewhere. */
function requestFor(operation: ContractOperation, resolve: Resolve, faulty: boolean): fc.Arbitrary<Planned> {
  const parameters = operation.parameters.filter((p) => p.in === 'path' || p.in === 'query');
  const jsonBody = operation.requestBody && Object.entries(operation.requestBody.content).find(([type]) => isJsonMediaType(type));
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const parameter of parameters) parts[`${parameter.in}:${parameter.name}`] = valid(parameter.schema, resolve);
  if (jsonBody?.[1].schema) parts.body = valid(jsonBody[1].schema, resolve);
  return fc
    .tuple(fc.record(parts), faults(true), faults(false), fc.nat({ max: Math.max(0, Object.keys(parts).length - 1) }), fc.infiniteStream(fc.nat()))
    .map(([values, bodyFault, urlFault, target, seeds]) => {
      const random = { nextInt: (min: number, max: number) => min + (seeds.next().value % (max - min + 1)) } as fc.Random;
      const chosen = Object.keys(parts)[target];
      const fault = chosen === 'body' ? bodyFault : urlFault;
      let path = operation.path;
      const query: [string, string][] = [];
      for (const parameter of parameters) {
        const key = `${parameter.in}:${parameter.name}`;
        let value = values[key];
        if (faulty && key === chosen) value = withFault(value, random, fault);
        if (parameter.in === 'path') {
          const text = value === undefined || value === null || typeof value === 'object' ? 'fuzz' : String(value);
          path = path.replaceAll(`{${parameter.name}}`, encodeURIComponent(text === '' || text === '.' || text === '..' ? 'fuzz' : text));
        } else if (value !== undefined && (parameter.required || values[key] !== undefined)) {
          for (const item of Array.isArray(value) ? value : [value]) if (item !== null && typeof item !== 'object') query.push([parameter.name, String(item)]);
        }
      }
      const headers: Record<string, string> = {};
      let body: string | undefined;
      if (jsonBody && 'body' in values) {
        headers['content-type'] = jsonBody[0];
        body = JSON.stringify(faulty && chosen === 'body' ? withFault(values.body, random, fault) : values.body);
      }
      return { operation, request: { method: operation.method, path, query, headers, body }, faulty };
    });
}

/** Sends `total` generated requests spread over the operations, `concurrency` at a time. */
export async function fuzz(
  operations: ContractOperation[],
  context: CheckContext,
  caller: Caller,
  options: { total: number; concurrency?: number; seed?: number; only?: RegExp },
): Promise<FuzzSummary> {
  const fuzzed = operations.filter(
    (op) =>
      !unsafe.test(op.operationId ?? op.path) &&
      op.method !== 'HEAD' &&
      op.method !== 'OPTIONS' &&
      (!options.only || options.only.test(op.operationId ?? op.path)),
  );
  const plans = fuzzed.map((operation) => fc.oneof(requestFor(operation, context.resolve, false), requestFor(operation, context.resolve, true)));
  const all = fc.oneof(...plans);
  const planned = fc.sample(all, { numRuns: options.total, seed: options.seed ?? 42 });
  const result: FuzzSummary = { sent: 0, failures: [], byStatus: {} };
  let next = 0;
  const worker = async () => {
    while (next < planned.length) {
      const { operation, request, faulty } = planned[next++]!;
      const headers = operation.isPublic ? request.headers : { ...caller.headers, ...request.headers };
      try {
        const response = await context.client.send({ ...request, headers });
        result.sent++;
        result.byStatus[response.status] = (result.byStatus[response.status] ?? 0) + 1;
        const problem = judge(operation, response, faulty, context);
        if (problem && result.failures.length < 200) result.failures.push(`${operation.label}: ${summary(response).slice(0, 300)}: ${problem.slice(0, 300)}`);
      } catch (error) {
        result.sent++;
        if (result.failures.length < 200) result.failures.push(`${operation.label}: ${request.method} ${request.path} failed: ${describeFetchError(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
  return result;
}
