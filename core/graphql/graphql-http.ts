import type { Context } from 'koa';
import { type ExecutionResult, type GraphQLSchema, GraphQLError, type OperationDefinitionNode, execute, parse, validate } from 'graphql';
import { asMutation } from '../db/mutation-observers.ts';
import { AppError } from '../errors/app-error.ts';
import type { GraphQLContext, Principal } from '../plugin-api/index.ts';
import type { AccessControl } from '../http/access-control.ts';
import type { RequestState } from '../http/request-context.ts';
import { findUnsafeText, unsafeTextMessage } from '../validation/text-safety.ts';
import { maxQueryTokens, type QueryLimits, queryTooComplex, validationRules } from './query-limits.ts';

interface GraphQLBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

export function graphQLContext(
  access: AccessControl,
  principal: Principal | null,
  requestedTenant: string | undefined,
  correlationId: string,
  clientAddress: string,
): GraphQLContext {
  // The x-workspace-id header is only a request: `tenantId` holds a workspace once a permission
  // check in it succeeded, so a resolver never acts on an unchecked header.
  const context: GraphQLContext = {
    principal,
    clientAddress,
    tenantId: undefined,
    correlationId,
    async authorize(permission: string) {
      if (!principal) throw new AppError('unauthorized', 'Authentication is required');
      const tenantId = await access.authorize(principal, permission, requestedTenant);
      context.tenantId = tenantId;
      return tenantId;
    },
  };
  return context;
}

/** Resolver errors carry our error code and the correlation id, as REST errors do. */
export function presentError(error: GraphQLError, correlationId: string) {
  const original = error.originalError as { code?: string } | undefined;
  const known = original instanceof AppError;
  // Validation rules of our own (query limits) name their code in the error's extensions.
  const ruleCode = !original && typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
  return {
    message: known || !original ? error.message : 'An unexpected error occurred',
    locations: error.locations,
    path: error.path,
    extensions: { code: known ? original.code : original ? 'internal' : (ruleCode ?? 'validation_failed'), correlationId },
  };
}

function present(result: ExecutionResult, correlationId: string) {
  if (!result.errors) return result;
  return { ...result, errors: result.errors.map((error) => presentError(error, correlationId)) };
}

/**
 * GraphQL over HTTP (POST JSON, or GET for queries). The body is already parsed by the shared body
 * parser, so size limits and malformed JSON are handled once for REST and GraphQL alike.
 */
export async function handleGraphQL(ctx: Context, schema: GraphQLSchema, access: AccessControl, limits: QueryLimits): Promise<void> {
  const state = ctx.state as RequestState;
  state.operationId = 'graphql';
  let payload: GraphQLBody;
  if (ctx.method === 'GET') {
    const variables = typeof ctx.query.variables === 'string' ? safeJson(ctx.query.variables) : undefined;
    payload = { query: ctx.query.query, variables, operationName: ctx.query.operationName };
  } else if (ctx.method === 'POST') {
    if (!ctx.is('application/json')) throw new AppError('unsupported_media_type', 'GraphQL requests must be application/json');
    payload = ((ctx.request as { body?: unknown }).body ?? {}) as GraphQLBody;
  } else {
    throw new AppError('method_not_allowed', 'GraphQL accepts GET and POST', { headers: { Allow: 'GET, POST' } });
  }
  if (typeof payload.query !== 'string' || payload.query.length === 0) {
    throw new AppError('validation_failed', 'A GraphQL request needs a "query" string');
  }
  if (payload.variables !== undefined && payload.variables !== null && (typeof payload.variables !== 'object' || Array.isArray(payload.variables))) {
    throw new AppError('validation_failed', '"variables" must be an object');
  }

  // Text PostgreSQL cannot store is refused here as on REST, whether in the query or its variables.
  const unsafe = findUnsafeText({ query: payload.query, variables: payload.variables ?? null });
  if (unsafe)
    throw new AppError('validation_failed', 'The GraphQL request contains text that cannot be stored', {
      details: [{ path: unsafe, message: unsafeTextMessage }],
    });

  let document: ReturnType<typeof parse>;
  try {
    document = parse(payload.query, { maxTokens: maxQueryTokens });
  } catch (error) {
    ctx.status = 400;
    // Too many tokens, or nesting deep enough to exhaust the parser's stack: too complex, not malformed.
    const tooComplex = !(error instanceof GraphQLError) || /maximum number of tokens|more than \d+ tokens/i.test(error.message);
    const parseError = tooComplex
      ? new GraphQLError(error instanceof GraphQLError ? error.message : 'The query is nested too deeply to parse', { extensions: { code: queryTooComplex } })
      : error;
    ctx.body = present({ errors: [parseError] }, state.correlationId);
    return;
  }
  const errors = validate(schema, document, validationRules(limits));
  if (errors.length > 0) {
    ctx.status = 400;
    ctx.body = present({ errors }, state.correlationId);
    return;
  }
  if (ctx.method === 'GET' && document.definitions.some((d) => d.kind === 'OperationDefinition' && d.operation !== 'query')) {
    throw new AppError('method_not_allowed', 'Only queries may be sent with GET', { headers: { Allow: 'POST' } });
  }
  const principal = await access.authenticate({ headers: ctx.headers });
  const tenantId = ctx.get('x-workspace-id') || undefined;
  const operationName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
  const run = () =>
    execute({
      schema,
      document,
      variableValues: (payload.variables ?? undefined) as Record<string, unknown> | undefined,
      operationName,
      contextValue: graphQLContext(access, principal, tenantId, state.correlationId, ctx.ip),
    }) as Promise<ExecutionResult>;
  // Like REST requests, GraphQL operations are offered to mutation observers (audit); a mutation's
  // transactions capture their row changes, its action named for its fields (`Mutation.createTicket`).
  const executed = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition' && (operationName === undefined || d.name?.value === operationName),
  );
  const fields = executed?.selectionSet.selections.flatMap((s) => (s.kind === 'Field' ? [s.name.value] : [])) ?? [];
  const kind = executed?.operation === 'mutation' ? 'Mutation' : 'Query';
  const result = await asMutation(
    {
      captures: kind === 'Mutation',
      operationId: `${kind}.${fields.join(',')}`,
      method: ctx.method,
      path: ctx.path,
      params: {},
      principal,
      tenantId,
      correlationId: state.correlationId,
      clientAddress: ctx.ip,
      secretFields: new Set(),
    },
    run,
  );
  ctx.status = 200;
  ctx.body = present(result as ExecutionResult, state.correlationId);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('validation_failed', '"variables" is not valid JSON');
  }
}
