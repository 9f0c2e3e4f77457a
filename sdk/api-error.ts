/**
 * A non-2xx answer from the API, carrying the standard error body
 * `{"error": {"code", "message", "details"?, "correlationId"}}`. When the body is not in that shape
 * (a proxy's HTML page, an empty 502), `code` is `http_<status>` and the correlation id comes from the
 * `x-correlation-id` response header if there is one.
 */
export class ItopsApiError extends Error {
  override readonly name = 'ItopsApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly correlationId: string | undefined,
  ) {
    super(message);
  }

  /** Builds the error from a response whose body has not been read yet. */
  static async fromResponse(response: Response): Promise<ItopsApiError> {
    const text = await response.text().catch(() => '');
    const headerCorrelationId = response.headers.get('x-correlation-id') ?? undefined;
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const error = body?.error;
    if (error && typeof error === 'object' && typeof error.code === 'string') {
      const message = typeof error.message === 'string' ? error.message : `HTTP ${response.status}`;
      const correlationId = typeof error.correlationId === 'string' ? error.correlationId : headerCorrelationId;
      return new ItopsApiError(response.status, error.code, message, error.details, correlationId);
    }
    const message = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    return new ItopsApiError(response.status, `http_${response.status}`, message, text ? text.slice(0, 1000) : undefined, headerCorrelationId);
  }
}
