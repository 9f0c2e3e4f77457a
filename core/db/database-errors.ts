import { AppError } from '../errors/app-error.ts';

/** How long a client is told to wait before retrying while the database is away. */
export const databaseRetryAfterSeconds = 5;

/**
 * SQLSTATEs that say the server is away rather than the statement wrong: connection exceptions
 * (class 08), an administrator's or crash shutdown (57P01, 57P02), a server still starting up or
 * in recovery (57P03), and too many connections (53300).
 */
const outageCodes = /^(08[0-9A-Z]{3}|57P0[123]|53300)$/;
/** Socket errors of the driver when nothing answers at the address. */
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** The driver's own words when a connection ends or never opens (it sets no code on these). */
const driverMessages =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|Connection ended/i;

/** Whether `error` (or what it wraps) means the database cannot be reached right now. */
export function isConnectionError(error: unknown): boolean {
  for (let current = error, depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const { code, message, syscall } = current as { code?: unknown; message?: unknown; syscall?: unknown };
    if (typeof code === 'string' && (outageCodes.test(code) || socketCodes.has(code))) return true;
    // A unix socket whose server stopped is gone altogether: its file is not found.
    if (code === 'ENOENT' && syscall === 'connect') return true;
    if (typeof message === 'string' && driverMessages.test(message)) return true;
    // Node's AggregateError (a host name resolving to several addresses) carries the socket errors.
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((inner) => isConnectionError(inner))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The client's answer while the database is away: 503 `unavailable` with Retry-After; undefined for any other error. */
export function databaseUnavailable(error: unknown): AppError | undefined {
  if (error instanceof AppError || !isConnectionError(error)) return undefined;
  const unavailable = new AppError('unavailable', 'The database is unavailable; retry shortly', {
    headers: { 'Retry-After': String(databaseRetryAfterSeconds) },
  });
  (unavailable as { cause?: unknown }).cause = error;
  return unavailable;
}

/** Runs `work`, turning a lost or refused database connection into the 503 above. */
export async function unlessUnavailable<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw databaseUnavailable(error) ?? error;
  }
}
