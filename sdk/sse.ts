import { ItopsApiError } from './api-error.ts';

/** One dispatched event. `id` is the stream's last event id when it was dispatched (the spec's `lastEventId`). */
export interface ServerSentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export interface EventStreamOptions {
  url: string | URL;
  /** Sent on every (re)connect: credentials, `x-workspace-id`. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** Resume after this event id (sent as `Last-Event-ID` on the first connect too). */
  lastEventId?: string;
  /** Reconnects in a row that may fail or end without an event before giving up. Default 5; 0 never reconnects. */
  maxReconnects?: number;
  /** Wait before reconnecting, until the server sends `retry:`. Default 1000 ms. */
  retryMs?: number;
  signal?: AbortSignal;
}

/**
 * Parses the `text/event-stream` format incrementally (WHATWG HTML, "Server-sent events"): lines end
 * in CRLF, LF or CR; `:` lines are comments (heartbeats); `data:` lines join with `\n`; an empty line
 * dispatches; an event without data is not dispatched; the text after the last empty line is dropped
 * when the stream ends.
 */
export class EventStreamParser {
  lastEventId: string | undefined;
  retryMs: number | undefined;
  private buffer = '';
  private data: string[] = [];
  private eventType = '';

  constructor(lastEventId?: string) {
    this.lastEventId = lastEventId;
  }

  push(chunk: string): ServerSentEvent[] {
    const events: ServerSentEvent[] = [];
    const text = this.buffer + chunk;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c !== '\n' && c !== '\r') continue;
      if (c === '\r' && i + 1 === text.length) break; // a CR at the end may be the first half of CRLF
      const line = text.slice(start, i);
      if (c === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = text.slice(start);
    return events;
  }

  /** Forgets a half-received event, as a new connection must. */
  reset(): void {
    this.buffer = '';
    this.data = [];
    this.eventType = '';
  }

  private line(line: string): ServerSentEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.eventType = value;
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }

  private dispatch(): ServerSentEvent | undefined {
    const event = this.data.length ? { id: this.lastEventId, event: this.eventType || 'message', data: this.data.join('\n') } : undefined;
    this.data = [];
    this.eventType = '';
    return event;
  }
}

/**
 * Reads an event stream over fetch, reconnecting (with `Last-Event-ID`) when the connection ends or
 * fails, at most `maxReconnects` times in a row; receiving an event resets the count. A 204 ends the
 * stream (the server's "stop"); 429 and 5xx answers are retried; any other non-2xx answer throws
 * `ItopsApiError` at once, as credentials or a wrong path do not fix themselves. When the attempts run
 * out after a failure, that failure is thrown; after clean ends, iteration just stops. Breaking out of
 * the loop closes the connection.
 */
export async function* readEventStream(options: EventStreamOptions): AsyncGenerator<ServerSentEvent, void, undefined> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const maxReconnects = options.maxReconnects ?? 5;
  const parser = new EventStreamParser(options.lastEventId);
  let failures = 0;
  for (let first = true; ; first = false) {
    if (!first) {
      if (++failures > maxReconnects) return;
      await sleep(parser.retryMs ?? options.retryMs ?? 1000, options.signal);
    }
    const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream', 'cache-control': 'no-cache' };
    if (parser.lastEventId) headers['last-event-id'] = parser.lastEventId;
    let response: Response;
    try {
      response = await fetchImpl(options.url, { headers, signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted || failures >= maxReconnects) throw error;
      continue;
    }
    if (response.status === 204) return;
    if (!response.ok) {
      const error = await ItopsApiError.fromResponse(response);
      if ((response.status === 429 || response.status >= 500) && failures < maxReconnects) continue;
      throw error;
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.toLowerCase().startsWith('text/event-stream')) {
      await response.body?.cancel();
      throw new Error(`expected text/event-stream from ${options.url}, got "${type}"`);
    }
    parser.reset();
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          failures = 0;
          yield event;
        }
      }
    } catch (error) {
      if (options.signal?.aborted || failures >= maxReconnects) throw error;
    } finally {
      await reader.cancel().catch(() => {});
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
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
