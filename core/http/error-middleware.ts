import type { Context, Next } from 'koa';
import { AppError, errorBody, isAppError } from '../errors/app-error.ts';
import type { RequestState } from './request-context.ts';
import { databaseUnavailable } from '../db/database-errors.ts';

/** Errors thrown by Koa and co-body carry an HTTP status and a `type`; map them to our codes. */
function fromHttpError(error: { status?: number; type?: string; message?: string }): AppError | undefined {
  switch (error.status) {
    case 400:
      return error instanceof SyntaxError || error.type === 'entity.parse.failed'
        ? new AppError('invalid_json', 'The request body is not valid JSON')
        : new AppError('bad_request', 'The request could not be read');
    case 413:
      return new AppError('payload_too_large', 'The request body is larger than the server accepts');
    case 415:
      return new AppError('unsupported_media_type', 'The request body has an unsupported encoding or type');
    default:
      return undefined;
  }
}

/**
 * A PostgreSQL data exception (SQLSTATE class 22: invalid text representation, numeric value out of
 * range, untranslatable character, ...) means the caller's input could not be stored or compared:
 * their mistake, not a server fault. The driver's error may be wrapped, so causes are followed.
 */
function fromDataException(error: unknown): AppError | undefined {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, severity } = current as { code?: unknown; severity?: unknown };
    if (typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code) && typeof severity === 'string') {
      return new AppError('validation_failed', 'A value in the request cannot be stored or compared', {
        details: [{ path: '/', message: `rejected by the database (SQLSTATE ${code})` }],
      });
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Everything that leaves the server as an error leaves through here, in one format, with the
 * correlation id; server faults are logged with their stack and answered without it.
 */
export function errorMiddleware() {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (thrown) {
      const state = ctx.state as RequestState;
      let error = isAppError(thrown) ? thrown : (fromHttpError(thrown as { status?: number }) ?? fromDataException(thrown) ?? databaseUnavailable(thrown));
      if (!error) {
        state.logger.error({ err: thrown }, 'unhandled error');
        error = new AppError('internal', 'An unexpected error occurred; quote the correlation id when reporting it');
      }
      ctx.status = error.status;
      for (const [name, value] of Object.entries(error.headers ?? {})) ctx.set(name, value);
      ctx.body = errorBody(error, state.correlationId);
    }
  };
}
