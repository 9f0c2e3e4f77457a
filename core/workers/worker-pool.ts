import { Piscina } from 'piscina';
import type { WorkerRunOptions, WorkerTaskDeclaration, WorkersService } from '../plugin-api/index.ts';
import { workerModule } from '../plugin-api/index.ts';
import type { WorkerCall } from './worker-entry.ts';
import { topLevelBuffers } from './worker-transfer.ts';

/**
 * The one place CPU-heavy functions run: a Piscina pool of worker threads shared by all plugins,
 * so scoring never blocks the event loop that serves requests.
 */
export class WorkerPool implements WorkersService {
  private readonly tasks = new Map<string, { module: string; export: string; owner: string }>();
  private readonly pool: Piscina;

  constructor(threads: number, warmThreads = 1) {
    this.pool = new Piscina({
      filename: workerModule(import.meta.url, './worker-entry').href,
      minThreads: Math.min(warmThreads, threads),
      maxThreads: threads,
      idleTimeout: 60_000,
    });
  }

  declare(owner: string, task: WorkerTaskDeclaration): () => void {
    const name = `${owner}.${task.name}`;
    const existing = this.tasks.get(name);
    if (existing) throw new Error(`worker task "${name}" is declared by both ${existing.owner} and ${owner}`);
    this.tasks.set(name, { module: task.module.href, export: task.export ?? 'default', owner });
    return () => {
      this.tasks.delete(name);
    };
  }

  async run<Input, Output>(task: string, input: Input, options: WorkerRunOptions = {}): Promise<Output> {
    const declared = this.tasks.get(task);
    if (!declared) throw new Error(`unknown worker task "${task}"`);
    const call: WorkerCall = { module: declared.module, export: declared.export, input, transfer: options.transfer === true };
    return (await this.pool.run(call, options.transfer ? { transferList: topLevelBuffers(input) } : {})) as Output;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
