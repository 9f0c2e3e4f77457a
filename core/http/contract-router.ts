import { Readable } from 'node:stream';
import addFormatsModule from 'ajv-formats';
import type { Context } from 'koa';
import { OpenAPIBackend } from 'openapi-backend';
import { AppError } from '../errors/app-error.ts';
import { dateTimeFormat } from '../validation/date-time-format.ts';
import { findUnsafeText, jsonMayHoldUnsafeText, unsafeTextMessage } from '../validation/text-safety.ts';
import type { OperationHandler, OperationResponse, Principal } from '../plugin-api/index.ts';
import type { IdempotencyStore } from '../idempotency/idempotency-store.ts';
import { executeIdempotently } from '../idempotency/idempotent-execution.ts';
import type { AccessControl } from './access-control.ts';
import { OperationMatcher } from './operation-matcher.ts';
import { parseQuery } from './query-string.ts';
import { rawBodyRule, readRawBody, streamedBody } from './raw-body.ts';
import type { RequestState } from './request-context.ts';
import { asMutation } from '../db/mutation-observers.ts';
import { HandlerRequest } from './handler-request.ts';
import { secretFieldsOf } from './secret-fields.ts';

const addFormats = addFormatsModule as unknown as (ajv: unknown) => unknown;

export interface RegisteredHandler {
  owner: string;
  handler: OperationHandler;
}

type Operation = Record<string, any> & { operationId: string; path: string; method: string };

const mutatingMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function hasBody(ctx: Context): boolean {
  return Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
}

function isResponse(value: unknown): value is OperationResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    ('status' in value || 'body' in value || 'headers' in value) &&
    Object.keys(value).every((k) => k === 'status' || k === 'body' || k === 'headers')
  );
}

const arrayQueryNames = new WeakMap<object, string[]>();

/** The operation's query parameters declared as arrays (a single value arrives as a string), found once per operation. */
function arrayQueryParameters(operation: Operation): string[] {
  let names = arrayQueryNames.get(operation);
  if (!names) {
    names = ((operation.parameters ?? []) as { in?: string; name?: string; schema?: { type?: string } }[])
      .filter((p) => p.in === 'query' && p.schema?.type === 'array' && typeof p.name === 'string')
      .map((p) => p.name as string);
    arrayQueryNames.set(operation, names);
  }
  return names;
}

/** A NUL or a lone surrogate anywhere in the request's text is a 400 whatever the operation's schema says. */
function refuseUnsafeText(parts: Record<string, unknown>): void {
  for (const [part, value] of Object.entries(parts)) {
    const path = findUnsafeText(value, `/${part}`);
    if (path) throw new AppError('validation_failed', 'The request does not match the contract', { details: [{ path, message: unsafeTextMessage }] });
  }
}

/**
 * Whether the parsed body needs the walk over its strings: a JSON body is answered for by its text
 * (a 50-service operator sync spent 5 % of its CPU walking). A form body decodes
 * percent-escapes, and is always walked.
 */
function mayHoldUnsafeText(ctx: Context): boolean {
  const request = ctx.request as { body?: unknown; rawBody?: unknown };
  if (typeof request.body !== 'object' || request.body === null || typeof request.rawBody !== 'string') return true;
  if (ctx.request.type === 'application/x-www-form-urlencoded') return true;
  return jsonMayHoldUnsafeText(request.rawBody);
}

/**
 * Percent-escapes that decode to no UTF-8 (`%ED%A0%80` is a lone surrogate's bytes, `%FF` none at
 * all) would otherwise be passed on undecoded or as U+FFFD, silently changing what was asked for.
 */
function refuseMalformedUrl(path: string, querystring: string): void {
  // Only an escape can be malformed: a text without one is not decoded at all.
  if (path.includes('%')) refuseUndecodable('path', path);
  if (querystring.includes('%')) refuseUndecodable('query', querystring);
}

function refuseUndecodable(part: 'path' | 'query', text: string): void {
  try {
    decodeURIComponent(text);
  } catch {
    throw new AppError('validation_failed', 'The request does not match the contract', {
      details: [{ path: `/${part}`, message: 'must be percent-encoded UTF-8' }],
    });
  }
}

/**
 * openapi-backend parses its input with json-schema-ref-parser even in quick mode, where nothing
 * reads the result, in the background: a third of the CPU of building a router (every boot, plugin
 * load and license change). Our definition is already a parsed object.
 */
class ParsedOpenAPIBackend extends OpenAPIBackend {
  override async loadDocument() {
    this.document = this.inputDocument as typeof this.document;
    return this.document;
  }
}

/**
 * Serves one immutable version of the merged contract. Loading or unloading a plugin builds a new
 * router and swaps it in, so a request always sees one consistent contract.
 *
 * Order per request: route (404/405), authenticate and authorize (401/403) before validation so
 * anonymous callers learn nothing about input shapes, media type (415), validation (400), handler.
 */
export class ContractRouter {
  private readonly matcher: OperationMatcher<Operation>;

  private constructor(
    private readonly api: OpenAPIBackend,
    readonly document: Record<string, any>,
    private readonly handlers: ReadonlyMap<string, RegisteredHandler>,
    private readonly access: AccessControl,
    private readonly idempotency: IdempotencyStore,
  ) {
    // openapi-backend's own router rebuilds its operation list on every call; match once-compiled.
    this.matcher = new OperationMatcher(api.getOperations() as Operation[]);
  }

  static async create(
    document: Record<string, any>,
    handlers: ReadonlyMap<string, RegisteredHandler>,
    access: AccessControl,
    idempotency: IdempotencyStore,
  ): Promise<ContractRouter> {
    const api = new ParsedOpenAPIBackend({
      // Not copied: openapi-backend dereferences into a copy of its own and, without its parse, leaves the input as it was.
      definition: document as any,
      strict: false,
      validate: true,
      // quick: skip openapi-backend's own OpenAPI 3.0 definition check (our documents are 3.1 and are
      // linted by Redocly in CI), dereference synchronously and compile validators on first use.
      quick: true,
      coerceTypes: true,
      // discriminator: a oneOf keyed by a property (channel types) validates only the matching branch, so its errors are that branch's.
      // validateSchema: openapi-backend makes an Ajv per operation and context, and each would
      // compile JSON Schema's meta-schema to check our schemas once more (contract:check lints them).
      ajvOpts: { strict: false, allErrors: true, discriminator: true, validateSchema: false },
      customizeAjv: (ajv) => {
        addFormats(ajv);
        return ajv.addFormat('date-time', dateTimeFormat);
      },
    });
    await api.init();
    return new ContractRouter(api, document, handlers, access, idempotency);
  }

  /** Whether the operation this request is for reads its own body (`x-raw-body`): the body parser leaves it alone. */
  readsOwnBody(method: string, path: string): boolean {
    const matched = this.matcher.match(method, path);
    return matched.kind === 'matched' && rawBodyRule(matched.operation) !== null;
  }

  async dispatch(ctx: Context): Promise<void> {
    const state = ctx.state as RequestState;
    // Read once: each of Koa's accessors re-derives its value from the raw request.
    const { method, path } = ctx;
    const matched = this.matcher.match(method, path);
    if (matched.kind === 'method_not_allowed') {
      throw new AppError('method_not_allowed', `${method} is not allowed on ${path}`, { headers: { Allow: matched.allowed.join(', ') } });
    }
    if (matched.kind === 'not_found') throw new AppError('not_found', `No operation matches ${method} ${path}`);
    const operation = matched.operation;
    state.operationId = operation.operationId;

    // Before authorization, which already looks the workspace header up in the database.
    const querystring = ctx.querystring;
    refuseMalformedUrl(path, querystring);
    const query = parseQuery(querystring);
    // Headers are not walked: Node's parser refuses a NUL (or any control character) in a header
    // with a 400 before a request exists, and decodes headers as Latin-1, which has no surrogates.
    refuseUnsafeText({ path: matched.params, query });

    const tenantHeader = ctx.get('x-workspace-id') || undefined;
    const { principal, tenantId } = await this.authorize(operation, ctx.headers, tenantHeader);

    const content = operation.requestBody?.content as Record<string, unknown> | undefined;
    const raw = rawBodyRule(operation);
    if (!raw && content && hasBody(ctx) && !ctx.is(Object.keys(content))) {
      throw new AppError('unsupported_media_type', `Content-Type must be one of: ${Object.keys(content).join(', ')}`);
    }
    let rawBody: { kept: Buffer; bytes: number } | undefined;
    const streamsBody = raw?.stream === true && method !== 'GET' && method !== 'HEAD';
    // Over the limit by its declared length: refused before anything is read.
    if (streamsBody && raw) streamedBody.refuseDeclared(ctx.req, raw);
    else if (raw && method !== 'GET' && method !== 'HEAD') rawBody = await readRawBody(ctx.req, raw);

    if (!rawBody && !raw?.stream && mayHoldUnsafeText(ctx)) refuseUnsafeText({ requestBody: (ctx.request as { body?: unknown }).body });
    const validated = this.validate(operation, matched.params, query, ctx, rawBody !== undefined || raw?.stream === true);
    if (validated.errors.length > 0) {
      throw new AppError('validation_failed', 'The request does not match the contract', {
        details: validated.errors.map((e) => ({
          path: e.instancePath || '/',
          message: e.message ?? 'invalid',
          ...(e.params && Object.keys(e.params).length ? { params: e.params } : {}),
        })),
      });
    }

    const registered = this.handlers.get(operation.operationId);
    if (!registered) throw new AppError('not_found', `No operation matches ${method} ${path}`);
    const handlerRequest = new HandlerRequest(ctx, streamsBody && raw ? raw : undefined, {
      operationId: operation.operationId,
      method,
      path,
      params: validated.path as Record<string, string>,
      query: validated.query,
      headers: ctx.headers,
      body: rawBody ? rawBody.kept : (ctx.request as { body?: unknown }).body,
      rawBody: (ctx.request as { rawBody?: string }).rawBody,
      bodyBytes: rawBody?.bytes,
      principal,
      tenantId,
      correlationId: state.correlationId,
      clientAddress: ctx.ip,
    });
    // The request's transactions are offered to mutation observers (audit) before they commit; a
    // mutating request's capture their row changes. (The closures are written inline: under tsx,
    // a closure assigned to a name is renamed by a helper call on every request.)
    const mutation = {
      captures: mutatingMethods.has(method),
      operationId: operation.operationId,
      method,
      path,
      params: handlerRequest.params,
      principal,
      tenantId,
      correlationId: state.correlationId,
      clientAddress: ctx.ip,
      secretFields: secretFieldsOf(operation),
    };
    const response = await executeIdempotently(this.idempotency, operation, handlerRequest, ctx.get('idempotency-key') || undefined, () =>
      asMutation(mutation, async () => {
        const result = await registered.handler(handlerRequest);
        return isResponse(result) ? result : { status: 200, body: result };
      }),
    );
    this.respond(ctx, response);
  }

  /**
   * Runs the ajv validators openapi-backend compiled for the operation on parameters we already
   * have (matched path params, Koa's parsed query, Node's lower-cased headers), instead of its
   * validateRequest, which re-parses the whole request on every call. Coercion happens in place.
   */
  private validate(operation: Operation, params: Record<string, string>, parsedQuery: Record<string, unknown>, ctx: Context, rawBody = false) {
    const query: Record<string, unknown> = { ...parsedQuery };
    for (const name of arrayQueryParameters(operation)) {
      if (typeof query[name] === 'string') query[name] = [query[name]];
    }
    const body = (ctx.request as { body?: unknown }).body;
    const parameters: Record<string, unknown> = { path: { ...params }, query, header: ctx.headers, cookie: {} };
    const errors: { instancePath: string; message?: string; params?: Record<string, unknown> }[] = [];
    let validators = this.api.validator.getRequestValidatorsForOperation(operation.operationId);
    if (rawBody) {
      // The body is the handler's to read (x-raw-body, declared as `*/*`): only parameters are validated.
    } else if (typeof body === 'string' && !ctx.is('application/json')) {
      // openapi-backend compiles only the JSON media type's body schema (first of the validators);
      // a text body (e.g. a YAML import as text/plain) is checked against its own media type here.
      const content = (operation.requestBody?.content ?? {}) as Record<string, { schema?: { minLength?: number; maxLength?: number } }>;
      if (content['application/json']?.schema) validators = validators.slice(1);
      const schema = Object.entries(content).find(([type]) => ctx.is(type))?.[1]?.schema ?? {};
      if (schema.minLength !== undefined && body.length < schema.minLength)
        errors.push({ instancePath: '/requestBody', message: `must NOT have fewer than ${schema.minLength} characters` });
      if (schema.maxLength !== undefined && body.length > schema.maxLength)
        errors.push({ instancePath: '/requestBody', message: `must NOT have more than ${schema.maxLength} characters` });
    } else if (typeof body === 'object' || ctx.is('application/json')) {
      parameters.requestBody = body;
    }
    for (const validate of validators) {
      if (!validate(parameters)) errors.push(...(validate.errors ?? []));
    }
    return { errors, path: parameters.path as Record<string, unknown>, query };
  }

  private async authorize(
    operation: Operation,
    headers: Context['headers'],
    requestedTenant: string | undefined,
  ): Promise<{ principal: Principal | null; tenantId?: string }> {
    if (operation['x-public'] === true) {
      // Public routes still see a caller who identifies, but bad credentials don't block them.
      const principal = await this.access.authenticate({ headers }).catch(() => null);
      return { principal, tenantId: requestedTenant ?? principal?.tenantId };
    }
    const principal = await this.access.authenticate({ headers });
    if (!principal) throw new AppError('unauthorized', 'Authentication is required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    const tenantId = await this.access.authorize(principal, operation['x-permission'] as string, requestedTenant);
    return { principal, tenantId };
  }

  private respond(ctx: Context, response: OperationResponse): void {
    ctx.status = response.status ?? (response.body === undefined ? 204 : 200);
    if (response.headers) for (const name in response.headers) ctx.set(name, response.headers[name]);
    if (response.body === undefined) return;
    if (response.body instanceof Readable || Buffer.isBuffer(response.body) || typeof response.body === 'string') {
      ctx.body = response.body;
      return;
    }
    ctx.body = response.body as object;
  }
}
