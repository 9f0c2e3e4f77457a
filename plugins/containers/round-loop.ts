/** Controls of a running round loop. */
export interface RoundLoop {
  /** Run a round now (or right after the one in progress). */
  wake(): void;
  /** No new rounds; resolves when the round in progress ended. */
  stop(): Promise<void>;
}

/**
 * Runs `round` every `intervalMs`, one round at a time, and at once on `wake` — the shape of every
 * database-driven loop of this plugin (heartbeat deadlines, endpoint and certificate checks): one
 * indexed query per round instead of a timer per monitor. A wake during a round runs another right
 * after it rather than concurrently; a failing round is reported and the loop goes on.
 */
export function startRoundLoop(
  round: () => Promise<unknown>,
  options: { intervalMs: number; firstDelayMs?: number; onError: (error: unknown) => void },
): RoundLoop {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = round()
      .then(() => undefined, options.onError)
      .finally(() => {
        running = null;
        if (stopped) return;
        if (again) {
          again = false;
          setImmediate(run);
        } else timer = setTimeout(run, options.intervalMs);
      });
  };
  timer = setTimeout(run, options.firstDelayMs ?? options.intervalMs);
  return {
    wake: run,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
