import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

/**
 * Requests to the server under test, and only to it: no redirects are followed, every call is
 * time-bounded. Through node:http with a keep-alive agent rather than fetch: under the fuzz's
 * 100,000 requests, fetch's own work (undici's request and response objects, streams, an
 * AbortSignal each) took the client 40 % of the CPU the server took, on the same two cores.
 */

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
  headers: ResponseHeaders;
  /** Content-Type without parameters, lower case; '' when absent. */
  mediaType: string;
  text: string;
  /** The correlation id we sent, if any. */
  sentCorrelationId?: string;
}

/** A response's headers by name, in any case; repeated ones joined as fetch's Headers would. */
export class ResponseHeaders {
  constructor(private readonly received: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const value = this.received[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
}

/** Thrown when the server has not answered in full within REQUEST_TIMEOUT_MS. */
class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Streams would never end within the timeout; their bodies are not read. */
function isStream(mediaType: string): boolean {
  return mediaType === 'text/event-stream' || mediaType === 'application/x-ndjson' || mediaType === 'application/octet-stream';
}

export class ConformanceClient {
  private readonly url: URL;
  /** The base URL's path without its trailing slash, which every request's path follows. */
  private readonly basePath: string;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`base URL must be http(s), got ${baseUrl}`);
    this.url = url;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.transport = url.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true });
  }

  async send(request: OutgoingRequest): Promise<ReceivedResponse> {
    const search = new URLSearchParams(request.query ?? []).toString();
    let target = request.path + (search ? `?${search}` : '');
    if (request.rawReplace) target = target.replaceAll(request.rawReplace[0], request.rawReplace[1]);
    const headers: Record<string, string> = { accept: 'application/json, */*;q=0.5', ...request.headers };
    const sentCorrelationId = request.withoutCorrelationId ? undefined : `conf-${randomBytes(8).toString('hex')}`;
    if (sentCorrelationId) headers['x-correlation-id'] = sentCorrelationId;
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    const { status, received, text, mediaType } = await this.exchange(this.basePath + target, request.method, headers, request.body);
    return { request: `${request.method} ${target}`, status, headers: new ResponseHeaders(received), mediaType, text, sentCorrelationId };
  }

  /** One request and its whole answer (a stream's body is not read), within REQUEST_TIMEOUT_MS. */
  private exchange(path: string, method: string, headers: Record<string, string>, body: string | undefined) {
    return new Promise<{ status: number; received: IncomingHttpHeaders; text: string; mediaType: string }>((resolve, reject) => {
      const outgoing = this.transport.request({ host: this.url.hostname, port: this.url.port, path, method, headers, agent: this.agent }, (response) => {
        const mediaType = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const answer = { status: response.statusCode ?? 0, received: response.headers, mediaType };
        if (isStream(mediaType)) {
          clearTimeout(deadline);
          response.destroy();
          resolve({ ...answer, text: '' });
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(deadline);
          resolve({ ...answer, text: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', fail);
      });
      function fail(error: Error) {
        clearTimeout(deadline);
        reject(error);
      }
      const deadline = setTimeout(() => outgoing.destroy(new TimeoutError(`no answer within ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
      outgoing.on('error', fail);
      outgoing.end(body);
    });
  }
}

/** A failed request in a line: the timeout as such, else the error with its code (`connect ECONNREFUSED`). */
export function describeFetchError(error: unknown): string {
  const { name, message, code } = error as Error & { code?: string };
  if (name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS} ms`;
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

export function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
