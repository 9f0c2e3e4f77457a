import { PgBoss } from 'pg-boss';
import type { Logger } from '../logging/logger.ts';
import type { JobDeclaration, JobHandler, JobsService } from '../plugin-api/index.ts';
import type { AjvSchemaValidator } from '../validation/schema-validator.ts';

interface DeclaredQueue {
  declaration: JobDeclaration;
  owner: string;
}

/**
 * pg-boss in the platform's own database. Queues are declared by plugin manifests; each job runs
 * once across however many nodes share the database. Workers only run where jobs are enabled.
 */
export class JobService implements JobsService {
  private readonly queues = new Map<string, DeclaredQueue>();
  private readonly boss: PgBoss;
  private started = false;

  constructor(
    connectionString: string,
    private readonly validator: AjvSchemaValidator,
    private readonly logger: Logger,
    private readonly workersEnabled: boolean,
  ) {
    this.boss = new PgBoss({ connectionString, max: 4, application_name: 'itops-jobs', useListenNotify: true });
    this.boss.on('error', (error) => this.logger.error({ err: error }, 'job queue error'));
  }

  async start(): Promise<void> {
    await this.boss.start();
    this.started = true;
  }

  /** Creates the queue and its schedule. Returns the undo. */
  async declare(owner: string, declaration: JobDeclaration): Promise<() => Promise<void>> {
    const name = `${owner}.${declaration.name}`;
    const existing = this.queues.get(name);
    if (existing) throw new Error(`job queue "${name}" is declared by both ${existing.owner} and ${owner}`);
    this.queues.set(name, { declaration, owner });
    await this.boss.createQueue(name, {
      retryLimit: declaration.retry?.limit ?? 3,
      retryDelay: declaration.retry?.delaySeconds ?? 5,
      retryBackoff: declaration.retry?.backoff ?? true,
      expireInSeconds: declaration.expireInSeconds ?? 900,
      // Wake workers on every node the moment a job is queued instead of at their next poll.
      notify: true,
    });
    if (declaration.schedule) await this.boss.schedule(name, declaration.schedule, {}, { tz: 'UTC' });
    return async () => {
      this.queues.delete(name);
      if (declaration.schedule) await this.boss.unschedule(name);
    };
  }

  /** Starts consuming a declared queue. Returns the undo (stops fetching, lets running jobs finish). */
  async work(name: string, handler: JobHandler): Promise<() => Promise<void>> {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`job "${name}" has a handler but no declaration in its manifest`);
    if (!this.workersEnabled) return async () => {};
    // Jobs are fetched in batches but settled one by one, so a failing job is retried alone.
    await this.boss.work(
      name,
      { batchSize: 10, burstWhenBatchFull: true, perJobResults: true, includeMetadata: true, pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 },
      async (jobs) => {
        // The async wrapper turns a handler's synchronous throw into that job's failure alone.
        const settled = await Promise.allSettled(
          jobs.map(async (job) => handler(job.data, { id: job.id, name, attempt: job.retryCount, signal: new AbortController().signal })),
        );
        return settled.map((outcome, i) => {
          if (outcome.status === 'fulfilled') return { id: jobs[i].id, status: 'completed' as const };
          this.logger.warn({ err: outcome.reason, job: name, jobId: jobs[i].id }, 'job failed');
          return { id: jobs[i].id, status: 'failed' as const, output: { message: String((outcome.reason as Error)?.message ?? outcome.reason) } };
        });
      },
    );
    return () => this.boss.offWork(name, { wait: true });
  }

  async send(name: string, payload: object = {}, options: { startAfterSeconds?: number; singletonKey?: string } = {}): Promise<string | null> {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown job queue "${name}"`);
    if (queue.declaration.payloadSchema) this.validator.assert(queue.declaration.payloadSchema, payload, `payload of job ${name}`);
    return this.boss.send(name, payload, { startAfter: options.startAfterSeconds, singletonKey: options.singletonKey });
  }

  async isReachable(): Promise<boolean> {
    if (!this.started) return false;
    try {
      await this.boss.getQueues();
      return true;
    } catch {
      return false;
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, timeout: Math.max(timeoutMs, 1000), close: true });
  }
}
