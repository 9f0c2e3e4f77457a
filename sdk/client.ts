import createFetchClient, { type Client, type Middleware } from 'openapi-fetch';
import { ItopsApiError } from './api-error.ts';
import type { paths } from './generated/openapi.ts';
import { isJsonMedia } from './media-type.ts';
import { createTransport, type SessionTokens, sessionFrom, type TransportOptions, type TransportState } from './transport.ts';

export { ItopsApiError } from './api-error.ts';
export type { RetryOptions, SessionTokens, TransportOptions } from './transport.ts';

export type ClientOptions = TransportOptions;

/** The typed client of the itops API: openapi-fetch's `GET`, `POST`, ... over the contract's paths. */
export type ItopsApi = Client<paths>;

export interface ItopsClient extends ItopsApi {
  /** Credentials and workspace in use; assign `workspaceId`, `apiKey` or `token` to change them. */
  readonly auth: TransportState;
  /** Signs in with email and password; later calls carry the JWT, refreshed before it expires. */
  login(email: string, password: string): Promise<SessionTokens>;
  /** Ends the session on the server and forgets it here. */
  logout(): Promise<void>;
  /** Refreshes the session's JWT now (it also happens by itself before expiry and on a 401). */
  refresh(): Promise<void>;
  /** Sends a request of your own (a stream, an undocumented path) with the client's credentials, workspace and retries. */
  send(request: Request): Promise<Response>;
}

/**
 * A client for the itops API. Every call resolves to openapi-fetch's `{ data, response }` for a 2xx
 * answer and rejects with `ItopsApiError` (the standard error body, typed) for any other, so
 * `ok(client.GET(...))` yields the typed body:
 *
 *     const itops = createItopsClient({ baseUrl, apiKey, workspaceId: 'acme' });
 *     const heartbeat = await ok(itops.GET('/api/v1/heartbeats/{id}', { params: { path: { id } } }));
 *
 * Bodies of media types other than JSON (a ping's log excerpt) are sent as given, with the
 * `Content-Type` the caller sets.
 */
export function createItopsClient(options: ClientOptions): ItopsClient {
  const transport = createTransport(options);
  const api = createFetchClient<paths>({
    baseUrl: transport.state.baseUrl,
    fetch: transport.fetch,
    bodySerializer: serializeBody,
  });
  api.use(throwOnError);
  const client = api as ItopsClient;
  return Object.assign(client, {
    auth: transport.state,
    async login(email: string, password: string): Promise<SessionTokens> {
      const tokens = await ok(api.POST('/api/v1/auth/login', { body: { email, password } }));
      transport.state.session = sessionFrom(tokens);
      options.onSession?.(transport.state.session);
      return transport.state.session;
    },
    async logout(): Promise<void> {
      const session = transport.state.session;
      if (!session) return;
      await ok(api.POST('/api/v1/auth/logout', { body: { refreshToken: session.refreshToken } }));
      transport.state.session = undefined;
      options.onSession?.(undefined);
    },
    refresh: transport.refresh,
    send: transport.fetch,
  });
}

/**
 * Rejects non-2xx answers with `ItopsApiError`, so a resolved call always carries `data`; and hands
 * a text answer (a ping's `OK`, a CSV) to openapi-fetch as a JSON string, which it would otherwise
 * try to parse as JSON unless every caller passed `parseAs: 'text'`.
 */
const throwOnError: Middleware = {
  async onResponse({ response, options }) {
    if (!response.ok) throw await ItopsApiError.fromResponse(response);
    const type = response.headers.get('content-type') ?? '';
    if (options.parseAs !== 'json' || response.status === 204 || !type || isJsonMedia(type) || !/^text\//i.test(type) || /event-stream/i.test(type))
      return undefined;
    const headers = new Headers(response.headers);
    headers.set('content-type', 'application/json');
    headers.delete('content-length');
    return new Response(JSON.stringify(await response.text()), { status: response.status, statusText: response.statusText, headers });
  },
};

/**
 * JSON for JSON media types (and when the caller names none); any other body (text, bytes, Blob,
 * FormData) goes out as it is, under the caller's own `Content-Type`.
 */
function serializeBody(body: unknown, headers?: Headers | Record<string, string | undefined | null>): any {
  const type = headers instanceof Headers ? headers.get('content-type') : (headers?.['Content-Type'] ?? headers?.['content-type']);
  if (body instanceof FormData || body instanceof URLSearchParams || body instanceof Blob) return body;
  if (type && !isJsonMedia(type)) return typeof body === 'string' || body instanceof ArrayBuffer || ArrayBuffer.isView(body) ? body : String(body);
  return JSON.stringify(body);
}

/** A call's result as openapi-fetch gives it: the body under `data` for a 2xx answer. */
export interface CallResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The typed body of a call (which rejects with `ItopsApiError` on any non-2xx answer). Undefined
 * for answers without a body (204).
 */
export async function ok<T>(pending: Promise<CallResult<T>>): Promise<T> {
  const result = await pending;
  if (!result.response.ok) throw ItopsApiError.fromBody(result.response, result.error);
  return result.data as T;
}
