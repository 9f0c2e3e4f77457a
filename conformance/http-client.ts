import { randomBytes } from 'node:crypto';

/** Requests to the server under test, and only to it: no redirects are followed, every call is time-bounded. */

export const REQUEST_TIMEOUT_MS = 10_000;

export interface OutgoingRequest {
  method: string;
  /** Path with the template filled in, without the query string. */
  path: string;
  query?: [string, string][];
  headers?: Record<string, string>;
  body?: string;
  /** Replaces text in the encoded path and query: bytes no encoder would produce (a lone surrogate's). */
  rawReplace?: [string, string];
  /** Leave out x-correlation-id so the server has to generate one. */
  withoutCorrelationId?: boolean;
}

export interface ReceivedResponse {
  /** `METHOD /path?query` as sent, for messages. */
  request: string;
  status: number;
  headers: Headers;
  /** Content-Type without parameters, lower case; '' when absent. */
  mediaType: string;
  text: string;
  /** The correlation id we sent, if any. */
  sentCorrelationId?: string;
}

/** Streams would never end within the timeout; their bodies are not read. */
function isStream(mediaType: string): boolean {
  return mediaType === 'text/event-stream' || mediaType === 'application/x-ndjson' || mediaType === 'application/octet-stream';
}

export class ConformanceClient {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`base URL must be http(s), got ${baseUrl}`);
    this.baseUrl = url.href.replace(/\/+$/, '');
  }

  async send(request: OutgoingRequest): Promise<ReceivedResponse> {
    const search = new URLSearchParams(request.query ?? []).toString();
    let target = request.path + (search ? `?${search}` : '');
    if (request.rawReplace) target = target.replaceAll(request.rawReplace[0], request.rawReplace[1]);
    const headers: Record<string, string> = { accept: 'application/json, */*;q=0.5', ...request.headers };
    const sentCorrelationId = request.withoutCorrelationId ? undefined : `conf-${randomBytes(8).toString('hex')}`;
    if (sentCorrelationId) headers['x-correlation-id'] = sentCorrelationId;
    const response = await fetch(this.baseUrl + target, {
      method: request.method,
      headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    let text = '';
    if (isStream(mediaType)) await response.body?.cancel();
    else text = await response.text();
    return { request: `${request.method} ${target}`, status: response.status, headers: response.headers, mediaType, text, sentCorrelationId };
  }
}

/** `connect ECONNREFUSED`-style detail instead of fetch's bare "fetch failed". */
export function describeFetchError(error: unknown): string {
  const { name, message, cause } = error as Error & { cause?: { code?: string; message?: string; socket?: { bytesWritten?: number; bytesRead?: number } } };
  if (name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS} ms`;
  if (!cause) return message;
  // undici names the socket's traffic: bytes read before this request mean a reused keep-alive connection.
  const socket = cause.socket ? `; socket had written ${cause.socket.bytesWritten} and read ${cause.socket.bytesRead} bytes` : '';
  return `${message} (${[cause.code, cause.message].filter(Boolean).join(': ')}${socket})`;
}

export function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
