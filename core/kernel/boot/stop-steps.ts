import type { Logger } from '../../logging/logger.ts';

export type Stop = () => Promise<void>;

/**
 * What the boot started, stopped in reverse order. A step that fails is logged and the others still
 * run, so one stuck piece does not leave the job queue or the database open.
 */
export class StopSteps {
  private readonly steps: Stop[] = [];

  constructor(private readonly logger: Logger) {}

  add(step: Stop): void {
    this.steps.push(step);
  }

  /** Waits for a module to start and stops it with the rest. */
  async started<T extends { stop: Stop }>(module: Promise<T>): Promise<T> {
    const started = await module;
    this.add(started.stop);
    return started;
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) await step().catch((error) => this.logger.warn({ err: error }, 'shutdown step failed'));
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
