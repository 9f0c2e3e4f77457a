import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

/**
 * Where a runtime's API listens: a unix socket (Docker's default) or an http(s) base URL (Docker over
 * TCP, the Kubernetes API server). `ca` trusts a private certificate authority (a cluster's).
 */
export interface RuntimeEndpoint {
  socketPath?: string;
  baseUrl?: string;
  ca?: string | Buffer;
  headers?: Record<string, string>;
}

/** A runtime call that failed: unreachable, timed out, or answered with an error status. */
export class RuntimeHttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: string,
  ) {
    super(message);
    this.name = 'RuntimeHttpError';
  }
}

export interface RuntimeRequest {
  method?: string;
  /** Path and query, e.g. `/v1.45/containers/json?all=1`. */
  path: string;
  /** The whole call, connect to last byte (or, for a stream, until it is given up). */
  deadlineMs: number;
  signal?: AbortSignal;
  /** Largest body read for a non-streamed answer. */
  maxBytes?: number;
}

/** Opens a request and resolves with the response once its headers arrived; the deadline covers everything after. */
export function openRuntimeStream(endpoint: RuntimeEndpoint, request: RuntimeRequest): Promise<{ response: IncomingMessage; close: () => void }> {
  return new Promise((resolve, reject) => {
    const url = endpoint.baseUrl ? new URL(request.path, endpoint.baseUrl) : undefined;
    const secure = url?.protocol === 'https:';
    const options: https.RequestOptions = {
      method: request.method ?? 'GET',
      headers: { accept: 'application/json', ...endpoint.headers },
      ...(endpoint.socketPath
        ? { socketPath: endpoint.socketPath, path: request.path, host: 'localhost' }
        : { hostname: url?.hostname, port: url?.port, path: `${url?.pathname}${url?.search}` }),
      ...(secure && endpoint.ca ? { ca: endpoint.ca } : {}),
      agent: false,
    };
    let settled = false;
    const req = (secure ? https : http).request(options);
    const close = () => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      req.destroy();
    };
    const fail = (error: Error) => {
      close();
      if (!settled) {
        settled = true;
        reject(error);
      }
    };
    const timer = setTimeout(() => fail(new RuntimeHttpError(`${request.path}: no complete answer within ${request.deadlineMs} ms`)), request.deadlineMs);
    const onAbort = () => fail(new RuntimeHttpError(`${request.path}: aborted`));
    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => fail(new RuntimeHttpError(`${request.path}: ${error.message}`)));
    req.on('response', (response) => {
      settled = true;
      resolve({ response, close });
    });
    req.end();
  });
}

/** Reads a body up to `maxBytes`. */
async function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new RuntimeHttpError(`answer larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** One call answered in full within its deadline: the status, headers and body. */
export async function runtimeCall(
  endpoint: RuntimeEndpoint,
  request: RuntimeRequest,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  const { response, close } = await openRuntimeStream(endpoint, request);
  try {
    const body = await readBody(response, request.maxBytes ?? 64 * 1024 * 1024);
    return { status: response.statusCode ?? 0, headers: response.headers, body };
  } catch (error) {
    throw error instanceof RuntimeHttpError ? error : new RuntimeHttpError(`${request.path}: ${(error as Error).message}`);
  } finally {
    close();
  }
}

/** A JSON answer; any status outside 2xx is a RuntimeHttpError carrying the runtime's message. */
export async function runtimeJson<T>(endpoint: RuntimeEndpoint, request: RuntimeRequest): Promise<T> {
  const answer = await runtimeCall(endpoint, request);
  const text = answer.body.toString('utf8');
  if (answer.status < 200 || answer.status >= 300) {
    let message = text.slice(0, 500);
    try {
      message = JSON.parse(text).message ?? message;
    } catch {}
    throw new RuntimeHttpError(`${request.path}: ${answer.status} ${message}`, answer.status, text);
  }
  return JSON.parse(text) as T;
}

/**
 * The values of a stream of JSON documents (Docker's `/events`, Kubernetes watches: one document a
 * line, though Docker does not promise the newline, so documents are split by their braces).
 */
export async function* jsonDocuments(stream: AsyncIterable<Buffer | string>, maxDocumentBytes = 4 * 1024 * 1024): AsyncGenerator<unknown> {
  let buffer = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for await (const chunk of stream) {
    const offset = buffer.length;
    buffer += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let consumed = 0;
    for (let i = offset; i < buffer.length; i++) {
      const c = buffer[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') {
        if (depth === 0) start = i;
        depth++;
      } else if (c === '}') {
        depth--;
        if (depth === 0 && start >= 0) {
          yield JSON.parse(buffer.slice(start, i + 1));
          consumed = i + 1;
          start = -1;
        }
      }
    }
    if (consumed > 0) {
      buffer = buffer.slice(consumed);
      if (start >= 0) start -= consumed;
    }
    if (depth === 0) buffer = '';
    if (buffer.length > maxDocumentBytes) throw new RuntimeHttpError(`a streamed document is larger than ${maxDocumentBytes} bytes`);
  }
}
