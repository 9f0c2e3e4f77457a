/**
 * Errors are values with a code; the HTTP layer maps each code to a status exactly once.
 * Handlers and services throw AppError; anything else that escapes is a server fault (500).
 */
export const errorStatus = {
  validation_failed: 400,
  invalid_json: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** The one error body every 4xx/5xx carries. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; correlationId: string };
}

export function errorBody(error: AppError, correlationId: string): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message, correlationId } };
  if (error.details !== undefined) body.error.details = error.details;
  return body;
}
