import { ItopsApiError } from '../api-error.ts';

/**
 * Exit codes a script can branch on. `itops run` exits with its command's own code instead (127
 * when the command could not be started), as cron and runitor users expect.
 */
export const exitCodes = {
  ok: 0,
  /** Anything not covered below. */
  failed: 1,
  /** Wrong arguments or options. */
  usage: 2,
  /** Not signed in, credentials refused (401) or not allowed (403). */
  auth: 3,
  /** The heartbeat, alert or workspace does not exist (404). */
  notFound: 4,
  /** The server refused the input (400, 409, 422). */
  rejected: 5,
  /** The server could not be reached or is overloaded (network, 429, 5xx). */
  unavailable: 6,
} as const;

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return exitCodes.usage;
  if (error instanceof ItopsApiError) {
    if (error.status === 401 || error.status === 403) return exitCodes.auth;
    if (error.status === 404) return exitCodes.notFound;
    if (error.status === 400 || error.status === 409 || error.status === 422) return exitCodes.rejected;
    if (error.status === 429 || error.status >= 500) return exitCodes.unavailable;
    return exitCodes.failed;
  }
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) return exitCodes.unavailable;
  return exitCodes.failed;
}

/** A mistake in how the CLI was called (exit code 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
