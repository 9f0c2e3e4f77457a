import { ItopsApiError } from './api-error.ts';
import { type OperationInfo, type OperationTypes, operations } from './generated/contract.ts';
import { isJsonMedia } from './media-type.ts';

export { ItopsApiError } from './api-error.ts';

export interface ClientOptions {
  /** Where the API is served, e.g. `http://localhost:3000` (a path prefix is kept). */
  baseUrl: string;
  /** A JWT from login, or an API key, sent as `Authorization: Bearer`. */
  token?: string;
  /** An API key sent as `X-API-Key`. */
  apiKey?: string;
  /** Default `x-workspace-id`; a request's own header wins. */
  workspaceId?: string;
  /** A fetch implementation (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Headers for this call only, beyond what the operation declares (they win over the client's). */
  headers?: Record<string, string>;
}

/** The request shape every generated `<OperationId>Request` type is a case of. */
interface RequestParts {
  path?: Record<string, string | number | boolean>;
  query?: Record<string, unknown>;
  headers?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

type OperationTypeMap<T> = { [K in keyof T]: { request: unknown; response: unknown } };

/** The request argument may be left out when every field of the operation's request is optional. */
type CallArgs<Req> = {} extends Req ? [request?: Req, options?: CallOptions] : [request: Req, options?: CallOptions];

export interface Client<T extends OperationTypeMap<T> = OperationTypes> {
  /** Calls an operation by its operationId; resolves with the parsed 2xx body, throws `ItopsApiError` otherwise. */
  call<K extends keyof T & string>(operationId: K, ...args: CallArgs<T[K]['request']>): Promise<T[K]['response']>;
}

/** A client for the bundled itops contract. */
export function createClient(options: ClientOptions): Client {
  return createClientFor<OperationTypes>(operations, options);
}

/**
 * A client for any operations table with its types (e.g. a third-party plugin's own generated
 * contract). `createClient` is this function bound to the bundled contract.
 */
export function createClientFor<T extends OperationTypeMap<T>>(table: { [K in keyof T]: OperationInfo }, options: ClientOptions): Client<T> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  return {
    async call(operationId, ...args) {
      const operation: OperationInfo | undefined = table[operationId];
      if (!operation) throw new Error(`unknown operation "${operationId}"`);
      const request = (args[0] ?? {}) as RequestParts;
      const headers = new Headers(options.headers);
      headers.set('accept', 'application/json, */*;q=0.5');
      if (options.token) headers.set('authorization', `Bearer ${options.token}`);
      if (options.apiKey) headers.set('x-api-key', options.apiKey);
      if (options.workspaceId) headers.set('x-workspace-id', options.workspaceId);
      for (const [name, value] of Object.entries({ ...request.headers, ...args[1]?.headers })) if (value !== undefined) headers.set(name, String(value));
      const init: RequestInit = { method: operation.method, headers, signal: args[1]?.signal };
      if (request.body !== undefined) init.body = encodeBody(request.body, operation.requestBody ?? 'application/json', headers);
      const url = baseUrl + fillPath(operation.path, request.path ?? {}) + queryString(request.query ?? {});
      const response = await fetchImpl(url, init);
      if (!response.ok) throw await ItopsApiError.fromResponse(response);
      return readBody(response);
    },
  };
}

function fillPath(template: string, values: Record<string, string | number | boolean>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === null || value === '') throw new Error(`path parameter "${name}" is required for ${template}`);
    return encodeURIComponent(String(value));
  });
}

/** Form style, exploded (the OpenAPI default): arrays repeat the key, undefined and null are left out. */
function queryString(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      params.append(name, typeof item === 'object' ? JSON.stringify(item) : String(item));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function encodeBody(body: unknown, media: string, headers: Headers): RequestInit['body'] {
  if (isJsonMedia(media)) {
    headers.set('content-type', media);
    return JSON.stringify(body);
  }
  // FormData and URLSearchParams get their content type (with the multipart boundary) from fetch.
  if (!(body instanceof FormData) && !(body instanceof URLSearchParams)) headers.set('content-type', media);
  return body as RequestInit['body'];
}

async function readBody(response: Response): Promise<any> {
  if (response.status === 204 || response.status === 205) return undefined;
  const text = await response.text();
  if (!text) return undefined;
  return isJsonMedia(response.headers.get('content-type') ?? '') ? JSON.parse(text) : text;
}
