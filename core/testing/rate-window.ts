/**
 * Waits, when needed, until what follows can start at most `latestMs` into a minute of the clock.
 * The login limits count in fixed minutes (core/auth/rate-limiter.ts): a burst that runs into the
 * next minute is counted afresh there, and never meets the limit a test expects.
 */
export async function startEarlyInMinute(latestMs: number): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > latestMs) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
}
