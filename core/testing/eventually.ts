/** Polls `probe` until it returns something other than undefined, or the time runs out (then undefined). */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20000, intervalMs = 150): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return undefined;
}
