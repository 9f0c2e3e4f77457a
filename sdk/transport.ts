import { ItopsApiError, retryAfterMs } from './api-error.ts';

/** Tokens of a signed-in user: `token` is the short-lived JWT, `refreshToken` gets the next one. */
export interface SessionTokens {
  token: string;
  refreshToken: string;
  /** When `token` expires, in milliseconds since the epoch. */
  expiresAt: number;
}

export interface RetryOptions {
  /** Attempts after the first, on 429, 503 and network failures. Default 3; 0 turns retries off. */
  retries?: number;
  /** First backoff delay when the server sends no `Retry-After`; doubles per attempt (with jitter). Default 250 ms. */
  baseDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the answer is returned as it is. Default 30 s. */
  maxDelayMs?: number;
}

export interface TransportOptions extends RetryOptions {
  /** Where the API is served, e.g. `http://localhost:3000` (a path prefix is kept). */
  baseUrl: string;
  /** An API key, sent as `X-API-Key`. */
  apiKey?: string;
  /** A bearer token used as it is (an API key or a JWT you refresh yourself). */
  token?: string;
  /** Login tokens: sent as bearer and refreshed before they expire or when an answer is 401. */
  session?: SessionTokens;
  /** Called with the new tokens after every login or refresh (to store them). */
  onSession?: (session: SessionTokens | undefined) => void;
  /** Default `x-workspace-id`; a request's own header wins. */
  workspaceId?: string;
  /** A fetch implementation (proxies, tests); the global one by default. */
  fetch?: (request: Request) => Promise<Response>;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/** What a client keeps between calls: credentials and the workspace, changeable after creation. */
export interface TransportState {
  baseUrl: string;
  apiKey: string | undefined;
  token: string | undefined;
  session: SessionTokens | undefined;
  workspaceId: string | undefined;
}

const mutating = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Refresh this long before the token expires, so a request in flight does not carry a dying token. */
const refreshMarginMs = 30_000;

/**
 * The fetch that every SDK call goes through. It adds credentials and `x-workspace-id`; gives each
 * mutation an `Idempotency-Key` (unless the caller set one), the same on every retry so the server
 * runs it once; retries 429 and 503 honouring `Retry-After` (else exponential backoff with jitter)
 * and network failures of requests that are safe to repeat; and refreshes a login session before it
 * expires and once on a 401.
 *
 * Pings (`/ping/...`) are public and browser jobs send them cross-origin: they get neither
 * credentials nor an Idempotency-Key, headers the ping CORS policy does not allow.
 */
export function createTransport(options: TransportOptions): {
  state: TransportState;
  fetch: (request: Request) => Promise<Response>;
  refresh: () => Promise<void>;
} {
  const fetchImpl = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const retries = options.retries ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const state: TransportState = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    apiKey: options.apiKey,
    token: options.token,
    session: options.session,
    workspaceId: options.workspaceId,
  };
  let refreshing: Promise<void> | undefined;

  const refresh = (): Promise<void> => {
    refreshing ??= (async () => {
      const session = state.session;
      if (!session) throw new Error('no session to refresh: log in first');
      const response = await fetchImpl(
        new Request(`${state.baseUrl}/api/v1/auth/refresh`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ refreshToken: session.refreshToken }),
        }),
      );
      if (!response.ok) {
        state.session = undefined;
        options.onSession?.(undefined);
        throw await ItopsApiError.fromResponse(response);
      }
      const tokens = (await response.json()) as { token: string; refreshToken: string; expiresIn: number };
      state.session = sessionFrom(tokens);
      options.onSession?.(state.session);
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const send = async (input: Request): Promise<Response> => {
    const method = input.method.toUpperCase();
    const path = new URL(input.url).pathname;
    const isPing = /\/ping\//.test(path);
    const isAuthCall = /\/auth\/(login|refresh)$/.test(path);
    // Buffered once so that every attempt sends the same bytes (a stream can be read only once).
    const body = input.body ? await input.arrayBuffer() : undefined;
    const headers = new Headers(options.headers);
    for (const [name, value] of input.headers) headers.set(name, value);
    if (state.workspaceId && !headers.has('x-workspace-id') && !isPing) headers.set('x-workspace-id', state.workspaceId);
    if (mutating.has(method) && !isPing && !isAuthCall && !headers.has('idempotency-key')) headers.set('idempotency-key', randomId());
    const callerAuth = headers.has('authorization') || headers.has('x-api-key');
    const safeToRepeat = !mutating.has(method) || headers.has('idempotency-key') || isPing;
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      if (!callerAuth && !isPing && !isAuthCall) {
        if (state.session && state.session.expiresAt - Date.now() < refreshMarginMs) await refresh();
        const bearer = state.session?.token ?? state.token;
        if (bearer) headers.set('authorization', `Bearer ${bearer}`);
        else if (state.apiKey) headers.set('x-api-key', state.apiKey);
      }
      let response: Response;
      try {
        response = await fetchImpl(new Request(input.url, { method, headers, body, signal: input.signal, redirect: input.redirect }));
      } catch (error) {
        if (input.signal?.aborted || !safeToRepeat || attempt >= retries) throw error;
        await sleep(backoff(attempt, baseDelayMs), input.signal);
        continue;
      }
      if (response.status === 401 && state.session && !callerAuth && !isAuthCall && !refreshed) {
        refreshed = true;
        await response.body?.cancel();
        await refresh();
        attempt--;
        continue;
      }
      // A ping lost to a proxy's 502 or 504 would mark a good job failed: pings retry every 5xx. A 409
      // with Retry-After on a keyed mutation is the server still running an earlier attempt of it.
      const inProgress = response.status === 409 && headers.has('idempotency-key') && response.headers.has('retry-after');
      if ((response.status === 429 || response.status === 503 || inProgress || (isPing && response.status >= 500)) && attempt < retries) {
        const wait = retryAfterMs(response.headers.get('retry-after')) ?? backoff(attempt, baseDelayMs);
        if (wait > maxDelayMs) return response;
        await response.body?.cancel();
        await sleep(wait, input.signal);
        continue;
      }
      return response;
    }
  };
  return { state, fetch: send, refresh };
}

export function sessionFrom(tokens: { token: string; refreshToken: string; expiresIn: number }, now = Date.now()): SessionTokens {
  return { token: tokens.token, refreshToken: tokens.refreshToken, expiresAt: now + tokens.expiresIn * 1000 };
}

/** 250, 500, 1000, ... ms, each between half and all of that, so clients that failed together do not retry together. */
export function backoff(attempt: number, baseDelayMs: number): number {
  const full = baseDelayMs * 2 ** attempt;
  return Math.round(full / 2 + Math.random() * (full / 2));
}

/** A v4 UUID; `crypto.randomUUID` exists only in secure contexts of browsers, `getRandomValues` everywhere. */
export function randomId(): string {
  if (typeof globalThis.crypto?.randomUUID === 'function') return globalThis.crypto.randomUUID();
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
