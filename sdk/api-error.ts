import type { components } from './generated/openapi.ts';

/** The standard error body of every non-2xx answer, as the contract defines it. */
export type ErrorBody = components['schemas']['Error'];

/**
 * A non-2xx answer from the API, carrying the standard error body
 * `{"error": {"code", "message", "details"?, "correlationId"}}`. When the body is not in that shape
 * (a proxy's HTML page, an empty 502), `code` is `http_<status>` and the correlation id comes from the
 * `x-correlation-id` response header if there is one.
 *
 * Fields are assigned in the constructor, not declared as parameter properties, so the source stays
 * erasable TypeScript that Node runs without a transpiler.
 */
export class ItopsApiError extends Error {
  override readonly name = 'ItopsApiError';
  readonly status: number;
  /** Stable machine-readable code: `not_found`, `validation_failed`, `rate_limited`, ... */
  readonly code: string;
  readonly details: unknown;
  readonly correlationId: string | undefined;
  /** Seconds the server asked to wait (`Retry-After`), when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, code: string, message: string, details: unknown, correlationId: string | undefined, retryAfterSeconds?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.correlationId = correlationId;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Builds the error from a response whose body has not been read yet. */
  static async fromResponse(response: Response): Promise<ItopsApiError> {
    const text = await response.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return ItopsApiError.fromBody(response, body, text);
  }

  /** Builds the error from an answer whose body was read already (`text` when it was no JSON). */
  static fromBody(response: Pick<Response, 'status' | 'statusText' | 'headers'>, body: unknown, text?: string): ItopsApiError {
    const headerCorrelationId = response.headers.get('x-correlation-id') ?? undefined;
    const retryAfter = retryAfterMs(response.headers.get('retry-after'));
    const retryAfterSeconds = retryAfter === undefined ? undefined : Math.ceil(retryAfter / 1000);
    const error = (body as any)?.error;
    if (error && typeof error === 'object' && typeof error.code === 'string') {
      const message = typeof error.message === 'string' ? error.message : `HTTP ${response.status}`;
      const correlationId = typeof error.correlationId === 'string' ? error.correlationId : headerCorrelationId;
      return new ItopsApiError(response.status, error.code, message, error.details, correlationId, retryAfterSeconds);
    }
    const message = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    return new ItopsApiError(
      response.status,
      `http_${response.status}`,
      message,
      text ? text.slice(0, 1000) : undefined,
      headerCorrelationId,
      retryAfterSeconds,
    );
  }
}

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
