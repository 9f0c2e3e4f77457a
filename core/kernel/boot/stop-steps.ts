import type { Logger } from '../../logging/logger.ts';

export type Stop = () => Promise<void>;

const SLOW_STEP_MS = 5_000;

/** Where a step was registered: a stop that hangs is anonymous otherwise, and shutdown is where one hangs. */
function callerLocation(): string {
  const line = (new Error().stack ?? '').split('\n').find((frame, i) => i > 1 && !frame.includes('stop-steps.ts'));
  return line?.trim().replace(/^at /, '') ?? 'unknown';
}

/**
 * What the boot started, stopped in reverse order. A step that fails is logged and the others still
 * run, so one stuck piece does not leave the job queue or the database open.
 */
export class StopSteps {
  private readonly steps: { step: Stop; addedAt: string }[] = [];

  constructor(private readonly logger: Logger) {}

  add(step: Stop, addedAt = callerLocation()): void {
    this.steps.push({ step, addedAt });
  }

  /** Waits for a module to start and stops it with the rest. */
  async started<T extends { stop: Stop }>(module: Promise<T>): Promise<T> {
    // Taken before the await, after which the stack no longer shows the caller.
    const addedAt = callerLocation();
    const started = await module;
    this.add(started.stop, addedAt);
    return started;
  }

  async run(): Promise<void> {
    for (const { step, addedAt } of this.steps.splice(0).reverse()) {
      const slow = setTimeout(() => this.logger.warn({ step: addedAt }, `a shutdown step is still running after ${SLOW_STEP_MS / 1000} s`), SLOW_STEP_MS);
      slow.unref();
      await step()
        .catch((error) => this.logger.warn({ err: error, step: addedAt }, 'shutdown step failed'))
        .finally(() => clearTimeout(slow));
    }
  }
}

/**
 * Boots one module: `build` registers a stop step for each thing it starts. When a later step of the
 * same module fails, what it had started is stopped again before the error goes on, so the kernel
 * only has to stop the modules that finished starting.
 */
export async function bootModule<T extends object>(logger: Logger, build: (onStop: (step: Stop) => void) => Promise<T>): Promise<T & { stop: Stop }> {
  const steps = new StopSteps(logger);
  try {
    const provided = await build((step) => steps.add(step));
    return { ...provided, stop: () => steps.run() };
  } catch (error) {
    await steps.run();
    throw error;
  }
}
