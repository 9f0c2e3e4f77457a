import { randomUUID } from 'node:crypto';
import type { Caller } from './bad-input.ts';
import type { CheckContext } from './checks.ts';
import { type ContractOperation, isJsonMediaType, type JsonObject } from './contract-document.ts';
import { describeFetchError, type OutgoingRequest, parseJson, type ReceivedResponse } from './http-client.ts';
import { inOrder } from './in-order.ts';
import fc from 'fast-check';
import { valid } from './fuzz.ts';
import { type BuiltRequest, buildRequest } from './request-samples.ts';
import { homeOf, type Id, itemsOf, primaryIds, searchableIds, WorkspaceIds } from './sweep-ids.ts';

/**
 * Workspace A's objects for the cross-tenant sweep: one through every create operation of the
 * contract (a POST documenting 201), from the same samples the other checks use, with every string
 * the schema lets carry it set to a marker unique to the run, so the marker is A's data wherever it
 * shows up. Creates that need another object (a path parameter, a `groupId` in the body) get one of
 * A's, so they are tried again until a pass creates nothing new. Then every list A can read adds
 * what exists without a create operation (alerts, deliveries, executions).
 */

/** A's own workspace and admin are made by the sweep; creating platform objects says nothing about a workspace. */
const notWorkspaceObjects = /^(createTenant|createUser|completeSetup|activateLicense|setPlatformSecret)$/;
const PASSES = 3;
const CONCURRENCY = 8;

export interface ObjectsOfA {
  ids: WorkspaceIds;
  /** operationIds that created an object, and why the others did not. */
  created: string[];
  notCreated: string[];
}

export async function send(context: CheckContext, caller: Caller, request: OutgoingRequest): Promise<ReceivedResponse> {
  const response = await context.client.send({ ...request, headers: { ...caller.headers, ...request.headers } });
  if (response.status === 403 && caller.fallback) return send(context, caller.fallback, request);
  return response;
}

/** A fresh Idempotency-Key wherever the sample filled one in: a reused key would replay another answer. */
export function withFreshIdempotencyKey(request: OutgoingRequest): OutgoingRequest {
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).filter(([name]) => !/^idempotency-key$/i.test(name)));
  // The workspace API requires one on every write, though the contract marks it optional.
  if (request.method !== 'GET' && request.method !== 'HEAD') headers['idempotency-key'] = randomUUID();
  return { ...request, headers };
}

/**
 * `buildRequest`'s minimal request, or, where its candidates make no valid body (a schema whose
 * parts constrain each other), the same request with a body fast-check generated from the schema.
 */
export function sampleRequest(operation: ContractOperation, context: CheckContext): BuiltRequest {
  const built = buildRequest(operation, context);
  if (!('skip' in built) || !built.skip.includes('request body')) return built;
  const json = Object.entries(operation.requestBody?.content ?? {}).find(([type]) => isJsonMediaType(type));
  const bare = buildRequest(operation, context, { withoutBody: true });
  if (!json?.[1].schema || 'skip' in bare) return built;
  const schema = json[1].schema;
  const body = fc.sample(valid(schema, context.resolve), { numRuns: 200, seed: 22 }).find((value) => context.validator.accepts(schema, value));
  if (body === undefined) return built;
  return { request: { ...bare.request, headers: { ...bare.request.headers, 'content-type': json[0] }, body: JSON.stringify(body) } };
}

const singular = (word: string) => word.replace(/-/g, '').replace(/ies$/, 'y').replace(/s$/, '').toLowerCase();

/** Values the schema cannot say are meant (a real currency, an end after the start). */
function meaningful(key: string): unknown {
  if (/currency/i.test(key)) return 'EUR';
  if (/^(ends?_?at|until|expires_?at)$/i.test(key)) return new Date(Date.now() + 3_600_000).toISOString();
  if (/^(starts?_?at|from)$/i.test(key)) return new Date().toISOString();
  return undefined;
}

/** The body with `xxxId` properties pointing at A's objects and free strings carrying the marker, where the schema allows. */
function bodyOfA(body: unknown, schema: JsonObject, context: CheckContext, ids: WorkspaceIds, marker: string): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const value = { ...(body as JsonObject) };
  for (const [key, current] of Object.entries(value)) {
    const reference = /^(.+?)(Id|_id)$/.exec(key);
    const home = reference && [...ids.byHome.keys()].find((h) => !h.endsWith('}') && singular(h.split('/').at(-1)!) === singular(reference[1]!));
    const meaning = meaningful(key);
    const options: unknown[] = home
      ? [...(ids.byHome.get(home) ?? [])]
      : meaning !== undefined
        ? [meaning]
        : typeof current === 'string'
          ? [`${marker} ${current}`, marker]
          : [];
    for (const option of options) {
      const attempt = { ...value, [key]: option };
      if (context.validator.accepts(schema, attempt)) {
        value[key] = option;
        break;
      }
    }
  }
  return value;
}

function requestBodySchema(operation: ContractOperation): JsonObject | undefined {
  const json = Object.entries(operation.requestBody?.content ?? {}).find(([type]) => isJsonMediaType(type));
  return json?.[1].schema;
}

const OTHER_BODIES = 8;
const otherBodiesCache = new Map<string, unknown[]>();

/** Up to OTHER_BODIES valid bodies fast-check makes from the schema, the same ones every pass. */
function otherBodies(operation: ContractOperation, schema: JsonObject, context: CheckContext): unknown[] {
  const cached = otherBodiesCache.get(operation.label);
  if (cached) return cached;
  const bodies = fc
    .sample(valid(schema, context.resolve), { numRuns: 60, seed: 7 })
    .filter((value) => context.validator.accepts(schema, value))
    .slice(0, OTHER_BODIES);
  otherBodiesCache.set(operation.label, bodies);
  return bodies;
}

/** The create request as A would send it, or why it cannot be built yet. */
function createRequest(operation: ContractOperation, context: CheckContext, ids: WorkspaceIds, marker: string, variant: number): OutgoingRequest | string {
  const built = sampleRequest(operation, context);
  if ('skip' in built) return built.skip;
  const plain = variant === 1;
  let path = operation.path;
  for (const parameter of operation.parameters.filter((p) => p.in === 'path')) {
    // A create by name (`/workspace/secrets/{key}`) names its new object itself.
    const named = operation.path.endsWith(`{${parameter.name}}`)
      ? [`${marker}-${parameter.name}`, marker].find((name) => context.validator.accepts(parameter.schema, name))
      : undefined;
    const id = named ?? ids.byHome.get(homeOf(operation.path, parameter.name))?.[0];
    if (id === undefined) return `no object of A for {${parameter.name}}`;
    path = path.replaceAll(`{${parameter.name}}`, encodeURIComponent(String(id)));
  }
  const schema = requestBodySchema(operation);
  let body = built.request.body;
  if (variant >= 2) {
    // The sample refused on grounds the schema cannot say (a channel type's settings): other bodies the schema allows.
    if (!schema) return 'refused';
    body = JSON.stringify(otherBodies(operation, schema, context)[variant - 2]);
    if (body === undefined) return 'refused';
  }
  if (body !== undefined && schema && !plain) body = JSON.stringify(bodyOfA(JSON.parse(body), context.resolve(schema), context, ids, marker));
  return withFreshIdempotencyKey({ ...built.request, path, body });
}

function keep(ids: WorkspaceIds, home: string, response: ReceivedResponse, workspace: string, marker: string, everything: boolean) {
  if (response.status < 200 || response.status >= 300 || !isJsonMediaType(response.mediaType)) return;
  const { value } = parseJson(response.text);
  ids.add(home, primaryIds(value));
  // What A created is A's; of what a list shows, only items that name A or carry its marker are surely not shared.
  for (const item of everything ? [value] : itemsOf(value)) {
    const text = JSON.stringify(item);
    if (everything || text.includes(workspace) || text.includes(marker)) ids.remember(searchableIds(item));
  }
}

/** Every list A can read, its path parameters filled with A's objects (no fallback: another workspace's list is not A's). */
async function listAsA(operations: ContractOperation[], context: CheckContext, adminA: Caller, ids: WorkspaceIds, workspace: string, marker: string) {
  const lists = operations.filter((op) => op.method === 'GET' && !op.isPublic && !op.path.endsWith('}'));
  await inOrder(
    lists.map((operation) => async () => {
      const built = sampleRequest(operation, context);
      if ('skip' in built) return;
      let path = operation.path;
      for (const parameter of operation.parameters.filter((p) => p.in === 'path')) {
        const id: Id | undefined = ids.byHome.get(homeOf(operation.path, parameter.name))?.[0];
        if (id === undefined) return;
        path = path.replaceAll(`{${parameter.name}}`, encodeURIComponent(String(id)));
      }
      const response = await send(context, { headers: adminA.headers }, { ...built.request, path }).catch(() => undefined);
      if (response) keep(ids, operation.path, response, workspace, marker, false);
    }),
    CONCURRENCY,
  );
}

export async function createObjectsOfA(
  operations: ContractOperation[],
  context: CheckContext,
  adminA: Caller,
  workspace: string,
  marker: string,
  shared: string[],
): Promise<ObjectsOfA> {
  const ids = new WorkspaceIds();
  ids.add('/api/v1/tenants', [workspace]);
  ids.remember([workspace, marker]);
  const creates = operations.filter((op) => op.method === 'POST' && !op.isPublic && op.responses['201'] && !notWorkspaceObjects.test(op.operationId ?? ''));
  const why = new Map<string, string>();
  const created = new Set<string>();
  for (let pass = 0; pass < PASSES; pass++) {
    const before = created.size;
    await inOrder(
      creates
        .filter((op) => !created.has(op.label))
        .map((operation) => async () => {
          let last = '';
          for (let variant = 0; variant < 2 + OTHER_BODIES; variant++) {
            const request = createRequest(operation, context, ids, marker, variant);
            if (request === 'refused') break;
            if (typeof request === 'string') return void why.set(operation.label, request);
            const response = await send(context, adminA, request).catch((error: Error) => describeFetchError(error));
            if (typeof response === 'string') return void why.set(operation.label, `${request.method} ${request.path} failed: ${response}`);
            if (response.status >= 200 && response.status < 300) {
              created.add(operation.label);
              const name = /\{([^}]+)\}$/.exec(operation.path)?.[1];
              if (name) ids.add(homeOf(operation.path, name), [decodeURIComponent(request.path.split('/').at(-1)!)]);
              return keep(ids, operation.path, response, workspace, marker, true);
            }
            if (variant === 0 || variant === 1) last = `${response.status} ${response.text.slice(0, 160)}`;
            // A refusal that is not about the body (a missing object, a conflict) will not change with another body.
            if (response.status !== 400 && response.status !== 422) break;
          }
          why.set(operation.label, last);
        }),
      CONCURRENCY,
    );
    await listAsA(operations, context, adminA, ids, workspace, marker);
    if (created.size === before && pass > 0) break;
  }
  // Whoever may see both workspaces (the platform admin who stood in for A) is no secret of A's.
  for (const value of shared) ids.secrets.delete(value);
  return {
    ids,
    created: [...created],
    notCreated: creates.filter((op) => !created.has(op.label)).map((op) => `${op.label}: ${why.get(op.label) ?? 'not tried'}`),
  };
}
