import { Readable } from 'node:stream';
import addFormatsModule from 'ajv-formats';
import type { Context } from 'koa';
import { OpenAPIBackend, type Request as ContractRequest } from 'openapi-backend';
import { AppError } from '../errors/app-error.ts';
import type { OperationHandler, OperationRequest, OperationResponse, Principal } from '../plugin-api/index.ts';
import type { IdempotencyStore } from '../idempotency/idempotency-store.ts';
import { executeIdempotently } from '../idempotency/idempotent-execution.ts';
import type { AccessControl } from './access-control.ts';
import type { RequestState } from './request-context.ts';

const addFormats = addFormatsModule as unknown as (ajv: unknown) => unknown;

export interface RegisteredHandler {
  owner: string;
  handler: OperationHandler;
}

type Operation = Record<string, any> & { operationId: string; path: string; method: string };

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

/**
 * Serves one immutable version of the merged contract. Loading or unloading a plugin builds a new
 * router and swaps it in, so a request always sees one consistent contract.
 *
 * Order per request: route (404/405), authenticate and authorize (401/403) before validation so
 * anonymous callers learn nothing about input shapes, media type (415), validation (400), handler.
 */
export class ContractRouter {
  private constructor(
    private readonly api: OpenAPIBackend,
    readonly document: Record<string, any>,
    private readonly handlers: ReadonlyMap<string, RegisteredHandler>,
    private readonly access: AccessControl,
    private readonly idempotency: IdempotencyStore,
  ) {}

  static async create(
    document: Record<string, any>,
    handlers: ReadonlyMap<string, RegisteredHandler>,
    access: AccessControl,
    idempotency: IdempotencyStore,
  ): Promise<ContractRouter> {
    const api = new OpenAPIBackend({
      definition: structuredClone(document) as any,
      strict: false,
      validate: true,
      // quick: skip openapi-backend's own OpenAPI 3.0 definition check (our documents are 3.1 and are
      // linted by Redocly in CI), dereference synchronously and compile validators on first use.
      quick: true,
      coerceTypes: true,
      ajvOpts: { strict: false, allErrors: true },
      customizeAjv: (ajv) => addFormats(ajv) as typeof ajv,
    });
    await api.init();
    return new ContractRouter(api, document, handlers, access, idempotency);
  }

  async dispatch(ctx: Context): Promise<void> {
    const state = ctx.state as RequestState;
    const request: ContractRequest = {
      method: ctx.method,
      path: ctx.path,
      headers: ctx.headers as Record<string, string | string[]>,
      query: ctx.query as Record<string, string | string[]>,
      body: (ctx.request as { body?: unknown }).body,
    };

    let operation: Operation;
    try {
      operation = this.match(request);
    } catch (error) {
      if (String((error as Error).message).startsWith('405')) {
        const allowed = this.allowedMethods(request);
        throw new AppError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`, { headers: { Allow: allowed.join(', ') } });
      }
      throw new AppError('not_found', `No operation matches ${ctx.method} ${ctx.path}`);
    }
    state.operationId = operation.operationId;

    const tenantHeader = ctx.get('x-workspace-id') || undefined;
    const { principal, tenantId } = await this.authorize(operation, request, tenantHeader);

    const content = operation.requestBody?.content as Record<string, unknown> | undefined;
    if (content && hasBody(ctx) && !ctx.is(Object.keys(content))) {
      throw new AppError('unsupported_media_type', `Content-Type must be one of: ${Object.keys(content).join(', ')}`);
    }

    const validation = this.api.validateRequest(request, operation as any);
    if (!validation.valid) {
      throw new AppError('validation_failed', 'The request does not match the contract', {
        details: (validation.errors ?? []).map((e) => ({
          path: e.instancePath || '/',
          message: e.message ?? 'invalid',
          ...(e.params && Object.keys(e.params).length ? { params: e.params } : {}),
        })),
      });
    }
    const parsed = this.api.router.parseRequest(validation.coerced, operation as any);

    const registered = this.handlers.get(operation.operationId);
    if (!registered) throw new AppError('not_found', `No operation matches ${ctx.method} ${ctx.path}`);
    const abort = new AbortController();
    ctx.req.once('close', () => abort.abort());
    const handlerRequest: OperationRequest = {
      operationId: operation.operationId,
      method: ctx.method,
      path: ctx.path,
      params: (parsed.params ?? {}) as Record<string, string>,
      query: (validation.coerced.query ?? parsed.query ?? {}) as Record<string, unknown>,
      headers: ctx.headers,
      body: request.body,
      rawBody: (ctx.request as { rawBody?: string }).rawBody,
      principal,
      tenantId,
      correlationId: state.correlationId,
      clientAddress: ctx.ip,
      signal: abort.signal,
    };
    const run = async () => {
      const result = await registered.handler(handlerRequest);
      return isResponse(result) ? result : { status: 200, body: result };
    };
    this.respond(ctx, await executeIdempotently(this.idempotency, operation, handlerRequest, ctx.get('idempotency-key') || undefined, run));
  }

  /** HEAD is answered like GET where the contract has no HEAD operation (Koa drops the body). */
  private match(request: ContractRequest): Operation {
    try {
      return this.api.router.matchOperation(request, true) as Operation;
    } catch (error) {
      if (request.method !== 'HEAD') throw error;
      return this.api.router.matchOperation({ ...request, method: 'GET' }, true) as Operation;
    }
  }

  private async authorize(
    operation: Operation,
    request: ContractRequest,
    requestedTenant: string | undefined,
  ): Promise<{ principal: Principal | null; tenantId?: string }> {
    if (operation['x-public'] === true) {
      // Public routes still see a caller who identifies, but bad credentials don't block them.
      const principal = await this.access.authenticate({ headers: request.headers }).catch(() => null);
      return { principal, tenantId: requestedTenant ?? principal?.tenantId };
    }
    const principal = await this.access.authenticate({ headers: request.headers });
    if (!principal) throw new AppError('unauthorized', 'Authentication is required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    const tenantId = await this.access.authorize(principal, operation['x-permission'] as string, requestedTenant);
    return { principal, tenantId };
  }

  private allowedMethods(request: ContractRequest): string[] {
    const methods = new Set<string>();
    for (const operation of this.api.getOperations()) {
      const candidate = { ...request, method: operation.method };
      if (this.api.router.matchOperation(candidate)?.operationId === operation.operationId) methods.add(operation.method.toUpperCase());
    }
    return [...methods];
  }

  private respond(ctx: Context, response: OperationResponse): void {
    ctx.status = response.status ?? (response.body === undefined ? 204 : 200);
    for (const [name, value] of Object.entries(response.headers ?? {})) ctx.set(name, value);
    if (response.body === undefined) return;
    if (response.body instanceof Readable || Buffer.isBuffer(response.body) || typeof response.body === 'string') {
      ctx.body = response.body;
      return;
    }
    ctx.body = response.body as object;
  }
}
