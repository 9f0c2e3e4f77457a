import type { CheckContext, CheckResult } from './checks.ts';
import { errorFormatProblem, summary } from './checks.ts';
import { type ContractOperation, isJsonMediaType, type JsonObject } from './contract-document.ts';
import { describeFetchError, type OutgoingRequest, type ReceivedResponse } from './http-client.ts';
import { buildRequest } from './request-samples.ts';
import { validCandidates } from './sample-values.ts';

/**
 * Input PostgreSQL cannot hold, sent to every operation: a NUL character and an unpaired surrogate
 * in each string parameter and in every string of a JSON body, and integers far past any column
 * (±1e20 in parameters, 1e30 in bodies). Each must be refused with a 4xx in the standard format
 * (400, or 401/403 when the caller may not call the operation at all); a 5xx is a failure.
 *
 * Every request carries a violation, so an unsafe operation never acts unless the server is wrong.
 */

/** A lone high surrogate encoded as UTF-8 would encode it (WTF-8); the client puts these bytes in the URL as they are. */
export const LONE_SURROGATE_IN_URL = '%ED%A0%80';
const surrogatePlaceholder = 'conformanceLoneSurrogate';
const pathMarker = 'conformancePathMarker';

export interface Caller {
  /** Headers that authenticate the caller and name its workspace; empty for anonymous calls. */
  headers: Record<string, string>;
  /** A second caller to try when the first is refused with 403 (a platform admin for platform operations). */
  fallback?: Caller;
}

interface BadRequest {
  what: string;
  request: OutgoingRequest;
}

const transportHeaders = new Set(['accept', 'content-type', 'authorization', 'x-correlation-id']);

function typesOf(schema: JsonObject): string[] {
  if (Array.isArray(schema.type)) return schema.type;
  return typeof schema.type === 'string' ? [schema.type] : [];
}

/** Every string in `value` (keys too) passed through `change`; whether anything changed. */
function mapStrings(value: unknown, change: (text: string) => string): { value: unknown; changed: boolean } {
  let changed = false;
  const walk = (current: unknown): unknown => {
    if (typeof current === 'string') {
      changed = true;
      return change(current);
    }
    if (Array.isArray(current)) return current.map(walk);
    if (current !== null && typeof current === 'object') return Object.fromEntries(Object.entries(current).map(([k, v]) => [k, walk(v)]));
    return current;
  };
  return { value: walk(value), changed };
}

/** The sample body with every integer property the schema declares (optional ones too) set to `huge`. */
function withHugeIntegers(value: unknown, rawSchema: unknown, context: CheckContext, huge: number, depth = 0): { value: unknown; changed: boolean } {
  const schema = context.resolve(rawSchema ?? {});
  if (depth > 6) return { value, changed: false };
  if (typesOf(schema).includes('integer') && schema.enum === undefined) return { value: huge, changed: true };
  let changed = false;
  const parts = [schema, ...(schema.allOf ?? []).map((s: unknown) => context.resolve(s))];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: JsonObject = { ...(value as JsonObject) };
    for (const part of parts) {
      for (const [name, inner] of Object.entries<JsonObject>(part.properties ?? {})) {
        const resolved = context.resolve(inner);
        if (out[name] === undefined && !typesOf(resolved).includes('integer')) continue;
        const next = withHugeIntegers(out[name], resolved, context, huge, depth + 1);
        if (next.changed) {
          out[name] = next.value;
          changed = true;
        }
      }
    }
    return { value: out, changed };
  }
  if (Array.isArray(value) && schema.items) {
    const mapped = value.map((item) => withHugeIntegers(item, schema.items, context, huge, depth + 1));
    return { value: mapped.map((m) => m.value), changed: mapped.some((m) => m.changed) };
  }
  return { value, changed: false };
}

function sampleBody(operation: ContractOperation, context: CheckContext): { mediaType: string; schema: JsonObject; value: unknown } | undefined {
  const content = operation.requestBody?.content ?? {};
  const mediaType = Object.keys(content).find((type) => isJsonMediaType(type.split(';')[0]!.trim().toLowerCase()));
  if (!mediaType) return undefined;
  const schema = content[mediaType]!.schema ?? {};
  const value = validCandidates(schema, context.resolve).find((candidate) => context.validator.accepts(schema, candidate));
  return { mediaType, schema, value: value ?? {} };
}

/** The requests that carry bad input for one operation (none for an operation that takes no input). */
export function badInputRequests(operation: ContractOperation, context: CheckContext): BadRequest[] {
  const base = buildRequest(operation, context, { lenient: true, withoutBody: true });
  if ('skip' in base) return [];
  const body = sampleBody(operation, context);
  const withBody = (request: OutgoingRequest): OutgoingRequest =>
    body && operation.method !== 'GET' && operation.method !== 'HEAD'
      ? { ...request, headers: { ...request.headers, 'content-type': body.mediaType }, body: JSON.stringify(body.value) }
      : request;
  const out: BadRequest[] = [];

  for (const parameter of operation.parameters) {
    if (parameter.in === 'cookie' || (parameter.in === 'header' && transportHeaders.has(parameter.name.toLowerCase()))) continue;
    const types = typesOf(context.resolve(parameter.schema));
    const values: [string, string][] = [];
    // Header values cannot carry NUL or surrogates over HTTP/1.1 (the client refuses them): only numbers go there.
    if (types.includes('string') && parameter.in !== 'header') values.push(['NUL', 'a\u0000b'], ['lone surrogate', `a${surrogatePlaceholder}b`]);
    if (types.includes('integer')) values.push(['huge integer', '99999999999999999999'], ['huge negative integer', '-99999999999999999999']);
    for (const [what, value] of values) {
      let request = withBody(structuredClone(base.request));
      if (parameter.in === 'path') {
        // The other path parameters keep their samples: this one is built as a marker and replaced.
        const marked = { ...operation, parameters: operation.parameters.map((p) => (p === parameter ? { ...p, schema: { const: pathMarker } } : p)) };
        const built = buildRequest(marked, context, { lenient: true, withoutBody: true });
        if ('skip' in built) continue;
        request = withBody({ ...built.request, path: built.request.path.replace(pathMarker, encodeURIComponent(value)) });
      } else if (parameter.in === 'query') {
        request.query = [...(request.query ?? []).filter(([name]) => name !== parameter.name), [parameter.name, value]];
      } else {
        request.headers = { ...request.headers, [parameter.name]: value };
      }
      out.push({ what: `${what} in ${parameter.in} parameter ${parameter.name}`, request });
    }
  }

  if (body && operation.method !== 'GET' && operation.method !== 'HEAD') {
    const send = (what: string, value: unknown) =>
      out.push({ what, request: { ...base.request, headers: { ...base.request.headers, 'content-type': body.mediaType }, body: JSON.stringify(value) } });
    for (const [what, bad] of [
      ['NUL', '\u0000'],
      ['lone surrogate', '\uD800'],
    ] as const) {
      const mapped = mapStrings(body.value, (text) => `${text}${bad}`);
      send(`${what} in every string of the body`, mapped.changed ? mapped.value : { ...(body.value as JsonObject), [`conformance${bad}`]: 'x' });
    }
    for (const huge of [1e30, -1e30]) {
      const mapped = withHugeIntegers(body.value, body.schema, context, huge);
      if (mapped.changed) send(`${huge} in every integer of the body`, mapped.value);
    }
  }
  return out;
}

/** Sends `request` as `caller`, then as its fallback when refused with 403. */
async function sendAs(context: CheckContext, caller: Caller, request: OutgoingRequest): Promise<ReceivedResponse> {
  const response = await context.client.send({
    ...request,
    headers: { ...request.headers, ...caller.headers },
    rawReplace: [surrogatePlaceholder, LONE_SURROGATE_IN_URL],
  });
  if (response.status === 403 && caller.fallback) return sendAs(context, caller.fallback, request);
  return response;
}

/** One result per operation: every bad-input request refused with a 4xx in the standard format, none with a 5xx. */
export async function checkBadInput(operation: ContractOperation, context: CheckContext, caller: Caller): Promise<CheckResult[]> {
  const requests = badInputRequests(operation, context);
  if (requests.length === 0) return [{ outcome: 'skip', subject: operation.label, check: 'bad input', detail: 'takes no input' }];
  const problems: string[] = [];
  const statuses = new Map<number, number>();
  for (const { what, request } of requests) {
    let response: ReceivedResponse;
    try {
      response = await sendAs(context, caller, request);
    } catch (error) {
      problems.push(`${what}: ${describeFetchError(error)}`);
      continue;
    }
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    if (![400, 401, 403].includes(response.status)) problems.push(`${what}: ${summary(response)}, expected 400`);
    else {
      const format = errorFormatProblem(response, context);
      if (format) problems.push(`${what}: ${summary(response)}: ${format}`);
    }
  }
  const counts = [...statuses].map(([status, n]) => `${n}×${status}`).join(', ');
  return [
    problems.length
      ? { outcome: 'FAIL', subject: operation.label, check: 'bad input', detail: `${problems.join('; ')} (${counts})` }
      : { outcome: 'ok', subject: operation.label, check: 'bad input', detail: `${requests.length} refused (${counts})` },
  ];
}
