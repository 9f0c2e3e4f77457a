import { ItopsApiError } from './api-error.ts';
import type { ItopsClient } from './client.ts';

/** What a ping says: success, a run's start, failure, a log line, or an exit code (0 is success). */
export type PingKind = 'success' | 'start' | 'fail' | 'log' | number;

export interface PingOptions {
  kind?: PingKind;
  /** The body stored with the ping (its first 10 000 bytes), e.g. a job's output. */
  body?: string | Uint8Array | Blob;
  /** The body's media type; `text/plain; charset=utf-8` by default. */
  contentType?: string;
  /** Pairs a start with its completion for overlapping runs (a UUID). */
  rid?: string;
  signal?: AbortSignal;
}

/**
 * Pings a heartbeat by its ping uuid (public: no credentials are sent). Retried on network
 * failures and 5xx answers, as a lost ping would mark a good job failed.
 */
export async function ping(client: ItopsClient, uuid: string, options: PingOptions = {}): Promise<void> {
  const kind = options.kind ?? 'success';
  const suffix = kind === 'success' ? '' : `/${kind}`;
  const query = options.rid ? `?rid=${encodeURIComponent(options.rid)}` : '';
  const url = `${client.auth.baseUrl}/ping/${encodeURIComponent(uuid)}${suffix}${query}`;
  const init: RequestInit = { method: options.body === undefined ? 'GET' : 'POST', signal: options.signal };
  if (options.body !== undefined) {
    init.body = options.body as RequestInit['body'];
    init.headers = { 'content-type': options.contentType ?? 'text/plain; charset=utf-8' };
  }
  const response = await client.send(new Request(url, init));
  if (!response.ok) throw await ItopsApiError.fromResponse(response);
  await response.body?.cancel();
}
