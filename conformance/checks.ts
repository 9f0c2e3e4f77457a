import { type ContractOperation, type ContractPath, documentedResponse, isJsonMediaType, matchMediaType } from './contract-document.ts';
import { type ConformanceClient, describeFetchError, parseJson, type ReceivedResponse } from './http-client.ts';
import { bodyViolation, buildRequest, parameterViolation, type SampleContext } from './request-samples.ts';
import { standardErrorSchema } from './schema-validation.ts';

export type Outcome = 'ok' | 'FAIL' | 'skip';

export interface CheckResult {
  outcome: Outcome;
  /** The operationId, a path, or `(server)`. */
  subject: string;
  check: string;
  detail: string;
}

export interface CheckContext extends SampleContext {
  client: ConformanceClient;
  /** How often each operationId occurs in the document. */
  operationIdCounts: Map<string, number>;
}

/** The server's message for a request no operation matches. */
export const ROUTING_MISS_PREFIX = 'No operation matches';
export const UNKNOWN_PATH = '/api/v1/__conformance_unknown__';
const PERMISSION_PATTERN = /^[A-Za-z0-9_.-]+:[A-Za-z0-9_.*-]+$/;

const result = (outcome: Outcome, subject: string, check: string, detail: string): CheckResult => ({ outcome, subject, check, detail });

function errorOf(response: ReceivedResponse): { code?: string; message?: string; correlationId?: string } {
  const { value } = isJsonMediaType(response.mediaType) ? parseJson(response.text) : {};
  const error = (value as { error?: unknown } | undefined)?.error;
  return error && typeof error === 'object' ? (error as Record<string, string>) : {};
}

/** `GET /x -> 404 not_found "No operation matches GET /x"` */
export function summary(response: ReceivedResponse): string {
  const error = errorOf(response);
  return `${response.request} -> ${response.status}${error.code ? ` ${error.code} "${error.message}"` : ''}`;
}

/** Standard error format: `{"error":{"code","message","details"?,"correlationId"}}` as JSON. */
export function errorFormatProblem(response: ReceivedResponse, context: CheckContext): string | undefined {
  if (!isJsonMediaType(response.mediaType)) return `error body is ${response.mediaType || 'untyped'}, not JSON`;
  const { value, error } = parseJson(response.text);
  if (error) return `error body is not JSON: ${error}`;
  const problems = context.validator.problems(standardErrorSchema, value);
  return problems && `error body is not in the standard format: ${problems}`;
}

/** The sent x-correlation-id comes back; error bodies carry the same id. */
export function correlationProblem(response: ReceivedResponse): string | undefined {
  const echoed = response.headers.get('x-correlation-id');
  if (!echoed) return `${response.request} -> ${response.status} has no x-correlation-id header`;
  if (response.sentCorrelationId && echoed !== response.sentCorrelationId) {
    return `${response.request} -> ${response.status} answered x-correlation-id ${echoed}, sent ${response.sentCorrelationId}`;
  }
  const inBody = errorOf(response).correlationId;
  if (response.status >= 400 && inBody !== undefined && inBody !== echoed) {
    return `${response.request} -> ${response.status} has correlationId ${inBody} in the body but ${echoed} in the header`;
  }
  return undefined;
}

/** The status is documented, the Content-Type is one documented for it, and a JSON body matches its schema. */
export function responseProblem(operation: ContractOperation, response: ReceivedResponse, context: CheckContext): string | undefined {
  const documented = documentedResponse(operation, response.status);
  if (!documented) return `status ${response.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`;
  const content = (documented.content ?? {}) as Record<string, { schema?: unknown }>;
  const mediaTypes = Object.keys(content);
  if (mediaTypes.length === 0) {
    return response.text.length > 0 ? `status ${response.status} documents no body, got ${response.mediaType || 'an untyped'} body` : undefined;
  }
  const matched = matchMediaType(mediaTypes, response.mediaType);
  if (!matched) return `Content-Type ${response.mediaType || '(none)'} is not documented for ${response.status} (documented: ${mediaTypes.join(', ')})`;
  if (!isJsonMediaType(response.mediaType) || operation.method === 'HEAD') return undefined;
  const { value, error } = parseJson(response.text);
  if (error) return `body is not JSON: ${error}`;
  const schema = content[matched]!.schema;
  if (!schema) return undefined;
  const problems = context.validator.problems(schema as Record<string, unknown>, value);
  return problems && `body does not match the documented schema: ${problems}`;
}

/** A request that reached no operation; a 404 for a missing record is fine when the path has parameters. */
function routingProblem(operation: ContractOperation, response: ReceivedResponse): string | undefined {
  if (response.status === 405) return `${summary(response)}: the method is not routed`;
  if (response.status !== 404) return undefined;
  if ((errorOf(response).message ?? '').startsWith(ROUTING_MISS_PREFIX)) return `${summary(response)}: the operation is not routed`;
  const hasPathParameters = operation.parameters.some((p) => p.in === 'path');
  if (!hasPathParameters && !operation.responses['404']) return `${summary(response)}: 404 on a path without parameters`;
  return undefined;
}

function contractCheck(operation: ContractOperation, context: CheckContext): CheckResult {
  const definition = operation.definition;
  const fail = (reason: string) => result('FAIL', operation.label, 'contract', reason);
  if (!operation.operationId) return fail('no operationId');
  if ((context.operationIdCounts.get(operation.operationId) ?? 0) > 1) return fail(`operationId ${operation.operationId} is used more than once`);
  const permission = definition['x-permission'];
  if (operation.isPublic && permission !== undefined) return fail('declares both x-public and x-permission');
  if (operation.isPublic) return result('ok', operation.label, 'contract', 'x-public: true');
  if (permission === undefined)
    return fail(
      `neither x-permission nor x-public: true${definition['x-public'] !== undefined ? ` (x-public is ${JSON.stringify(definition['x-public'])})` : ''}`,
    );
  if (typeof permission !== 'string' || !PERMISSION_PATTERN.test(permission)) return fail(`x-permission ${JSON.stringify(permission)} is not resource:action`);
  return result('ok', operation.label, 'contract', `x-permission: ${permission}`);
}

/** Sends a request; a network failure or timeout becomes a reason instead of an exception. */
async function attempt(context: CheckContext, request: Parameters<ConformanceClient['send']>[0]): Promise<ReceivedResponse | string> {
  try {
    return await context.client.send(request);
  } catch (error) {
    return `${request.method} ${request.path} failed: ${describeFetchError(error)}`;
  }
}

/** Every check of one operation, in a fixed order. */
export async function checkOperation(operation: ContractOperation, context: CheckContext): Promise<CheckResult[]> {
  const label = operation.label;
  const results = [contractCheck(operation, context)];
  const responses: ReceivedResponse[] = [];
  const routed = (response: ReceivedResponse | string) => {
    const problem = typeof response === 'string' ? response : routingProblem(operation, response);
    results.push(problem ? result('FAIL', label, 'routed', problem) : result('ok', label, 'routed', summary(response as ReceivedResponse)));
  };
  const outcome = (check: string, response: ReceivedResponse | string, problems: (string | undefined)[]) => {
    if (typeof response === 'string') return results.push(result('FAIL', label, check, response));
    responses.push(response);
    const found = problems.filter(Boolean);
    results.push(found.length ? result('FAIL', label, check, `${summary(response)}: ${found.join('; ')}`) : result('ok', label, check, summary(response)));
  };
  const safeMethod = operation.method === 'GET' || operation.method === 'HEAD';

  if (!operation.isPublic) {
    const built = buildRequest(operation, context, { withoutBody: true, lenient: true });
    if ('skip' in built) {
      results.push(result('skip', label, 'routed', built.skip), result('skip', label, 'requires credentials', built.skip));
    } else {
      const response = await attempt(context, built.request);
      routed(response);
      outcome(
        'requires credentials',
        response,
        typeof response === 'string'
          ? []
          : response.status === 401 || response.status === 403
            ? [errorFormatProblem(response, context), responseProblem(operation, response, context)]
            : [`expected 401 or 403 without credentials`],
      );
    }
  }

  if (operation.isPublic && safeMethod) {
    const built = buildRequest(operation, context);
    if ('skip' in built) {
      results.push(result('skip', label, 'routed', built.skip), result('skip', label, 'valid request', built.skip));
    } else {
      const response = await attempt(context, built.request);
      routed(response);
      outcome('valid request', response, typeof response === 'string' ? [] : [responseProblem(operation, response, context)]);
    }
  }

  if (operation.isPublic) {
    // Unsafe public operations are only ever sent invalid input, so they never act.
    const violation = safeMethod
      ? (parameterViolation(operation, context) ?? bodyViolation(operation, context))
      : (bodyViolation(operation, context) ?? parameterViolation(operation, context));
    const built = violation && buildRequest(operation, context, { violation, withoutBody: true });
    if (!violation || !built || 'skip' in built) {
      const why = built && 'skip' in built ? built.skip : 'no constrained parameter and no required JSON body';
      if (!safeMethod) results.push(result('skip', label, 'routed', `not called: ${why}`));
      results.push(result('skip', label, 'rejects invalid input', why));
    } else {
      const response = await attempt(context, built.request);
      if (!safeMethod) routed(response);
      const problems =
        typeof response === 'string' || response.status !== 400
          ? [`expected 400 for ${violation.target} (${violation.reason})`]
          : [errorFormatProblem(response, context), responseProblem(operation, response, context)];
      outcome('rejects invalid input', response, problems);
    }
  }

  const correlation = responses.map(correlationProblem).filter(Boolean);
  if (responses.length === 0) results.push(result('skip', label, 'correlation id', 'no response to look at'));
  else if (correlation.length) results.push(result('FAIL', label, 'correlation id', correlation.join('; ')));
  else results.push(result('ok', label, 'correlation id', `echoed on ${responses.length} response(s)`));
  return results;
}

/** Unknown paths answer 404 in the standard format, with a correlation id even when none was sent. */
export async function checkUnknownPath(context: CheckContext): Promise<CheckResult[]> {
  const subject = '(server)';
  const results: CheckResult[] = [];
  const echoed = await attempt(context, { method: 'GET', path: UNKNOWN_PATH });
  if (typeof echoed === 'string') return [result('FAIL', subject, 'unknown path', echoed)];
  const problems = [
    echoed.status !== 404 ? 'expected 404' : undefined,
    errorFormatProblem(echoed, context),
    echoed.status === 404 && errorOf(echoed).code !== 'not_found' ? 'expected error code not_found' : undefined,
    correlationProblem(echoed),
  ].filter(Boolean);
  results.push(result(problems.length ? 'FAIL' : 'ok', subject, 'unknown path', `${summary(echoed)}${problems.length ? `: ${problems.join('; ')}` : ''}`));

  const generated = await attempt(context, { method: 'GET', path: UNKNOWN_PATH, withoutCorrelationId: true });
  if (typeof generated === 'string') return [...results, result('FAIL', subject, 'generated correlation id', generated)];
  const problem = correlationProblem(generated);
  results.push(
    problem
      ? result('FAIL', subject, 'generated correlation id', problem)
      : result('ok', subject, 'generated correlation id', `${summary(generated)} with x-correlation-id ${generated.headers.get('x-correlation-id')}`),
  );
  return results;
}

const WRONG_METHOD_CANDIDATES = ['PATCH', 'PUT', 'POST', 'DELETE', 'GET'];

/** A method the path does not document answers 405 in the standard format with an Allow header. */
export async function checkWrongMethod(entry: ContractPath, operations: ContractOperation[], context: CheckContext): Promise<CheckResult> {
  const method = WRONG_METHOD_CANDIDATES.find((m) => !entry.methods.includes(m));
  if (!method) return result('skip', entry.path, 'wrong method', 'every method is documented');
  const owner = operations.find((o) => o.path === entry.path)!;
  const built = buildRequest({ ...owner, method, parameters: entry.parameters, requestBody: undefined }, context);
  if ('skip' in built) return result('skip', entry.path, 'wrong method', built.skip);
  const response = await attempt(context, built.request);
  if (typeof response === 'string') return result('FAIL', entry.path, 'wrong method', response);
  const allow = (response.headers.get('allow') ?? '')
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter(Boolean);
  const missing = entry.methods.filter((m) => !allow.includes(m));
  const problems = [
    response.status !== 405 ? 'expected 405' : undefined,
    errorFormatProblem(response, context),
    allow.length === 0 ? 'no Allow header' : undefined,
    allow.length > 0 && missing.length > 0 ? `Allow "${allow.join(', ')}" lacks ${missing.join(', ')}` : undefined,
    allow.includes(method) ? `Allow lists ${method} itself` : undefined,
    correlationProblem(response),
  ].filter(Boolean);
  const detail = `${summary(response)}, Allow: ${allow.join(', ') || '(none)'}`;
  return result(problems.length ? 'FAIL' : 'ok', entry.path, 'wrong method', problems.length ? `${detail}: ${problems.join('; ')}` : detail);
}
