import { PgBoss } from 'pg-boss';
import { PreparingClient } from '../db/preparing-client.ts';
import type { Logger } from '../logging/logger.ts';
import type { JobDeclaration, JobHandler, JobsService } from '../plugin-api/index.ts';
import type { AjvSchemaValidator } from '../validation/schema-validator.ts';

/** Jobs of one queue a node runs at once, unless its worker asks for another number. */
const defaultConcurrency = 2;

interface DeclaredQueue {
  declaration: JobDeclaration;
  owner: string;
}

/** How long stopping waits for jobs whose signal it aborted: enough for a delivery to give its row back. */
const abortedJobGraceMs = 1000;

/**
 * pg-boss in the platform's own database. Queues are declared by plugin manifests; each job runs
 * once across however many nodes share the database. Workers only run where jobs are enabled.
 */
export class JobService implements JobsService {
  private readonly queues = new Map<string, DeclaredQueue>();
  private readonly boss: PgBoss;
  private started = false;
  private stopWaitUntil?: number;
  /** When this node last woke each worker for a sent job (wakeWorkers). */
  private readonly wokenAt = new Map<string, number>();

  constructor(
    connectionString: string,
    private readonly validator: AjvSchemaValidator,
    private readonly logger: Logger,
    private readonly workersEnabled: boolean,
    poolSize = 4,
    /** How long stopping waits for running jobs, all workers and the queue together (the shutdown timeout). */
    private readonly stopWaitMs = 10_000,
  ) {
    this.boss = new PgBoss({ connectionString, max: poolSize, application_name: 'itops-jobs', Client: PreparingClient } as ConstructorParameters<
      typeof PgBoss
    >[0]);
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
    const options = {
      retryLimit: declaration.retry?.limit ?? 3,
      retryDelay: declaration.retry?.delaySeconds ?? 5,
      retryBackoff: declaration.retry?.backoff ?? true,
      expireInSeconds: declaration.expireInSeconds ?? 900,
      // No pg_notify in the insert: a transaction that notifies takes PostgreSQL's one notify lock
      // from its commit until its WAL is flushed, so every job insert of every node queued behind
      // the others' fsyncs (the pool's 4 connections all waiting, /ready answering "jobs
      // unreachable" under the conformance fuzz). The sender wakes its own node's workers instead
      // (`wakeWorkers`); other nodes find the job at their next poll.
      notify: false,
    };
    await this.boss.createQueue(name, options);
    // createQueue leaves an existing queue as it was: a database from an earlier version keeps
    // the settings declared now, notify among them.
    await this.boss.updateQueue(name, options);
    if (declaration.schedule) await this.boss.schedule(name, declaration.schedule, {}, { tz: 'UTC' });
    return async () => {
      this.queues.delete(name);
      if (declaration.schedule) await this.boss.unschedule(name);
    };
  }

  /**
   * Starts consuming a declared queue. Returns the undo (stops fetching, lets running jobs finish).
   * Each of `concurrency` workers fetches and settles one job at a time, so a slow job holds only its
   * own slot and a failing one is retried alone. Jobs sent with a `group` (deliveries: the tenant)
   * run at most `perGroup` at once on a node, so one group cannot take all `concurrency` slots.
   */
  async work(name: string, handler: JobHandler, options: { concurrency?: number; perGroup?: number } = {}): Promise<() => Promise<void>> {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`job "${name}" has a handler but no declaration in its manifest`);
    if (!this.workersEnabled) return async () => {};
    // Each running job's own signal, aborted by pg-boss's (a lost claim, an expiry) or when stopping
    // has waited its time. Not AbortSignal.any over one long-lived signal: Node keeps every such
    // composite listened to in that signal's dependants (nodejs/node#64476).
    const running = new Set<AbortController>();
    await this.boss.work(
      name,
      {
        batchSize: 1,
        localConcurrency: options.concurrency ?? defaultConcurrency,
        // Counted by the node itself, which is exact: pg-boss's database-wide count lets two fetches
        // at the same moment both see room (and it cannot be combined with this one).
        ...(options.perGroup ? { localGroupConcurrency: options.perGroup } : {}),
        perJobResults: true,
        includeMetadata: true,
        pollingIntervalSeconds: 2,
        notifyPollingIntervalSeconds: 2,
      },
      async ([job]) => {
        const abort = new AbortController();
        const forward = () => abort.abort(job.signal.reason);
        if (job.signal.aborted) forward();
        else job.signal.addEventListener('abort', forward, { once: true });
        running.add(abort);
        try {
          // Awaited inside the try, so a handler's synchronous throw is this job's failure too.
          await handler(job.data, { id: job.id, name, attempt: job.retryCount, signal: abort.signal });
          return [{ id: job.id, status: 'completed' as const }];
        } catch (error) {
          this.logger.warn({ err: error, job: name, jobId: job.id }, 'job failed');
          return [{ id: job.id, status: 'failed' as const, output: { message: String((error as Error)?.message ?? error) } }];
        } finally {
          running.delete(abort);
          job.signal.removeEventListener('abort', forward);
          this.fetchAgainAfterJob(name);
        }
      },
    );
    return () => this.stopWorking(name, running);
  }

  /**
   * Stops fetching and waits a bounded time for running jobs: a job stuck on a slow receiver must not
   * hold up shutdown (the conformance server hung past 60 s here). Then the jobs still running see
   * their signal abort, and those that heed it (deliveries give their row back) get a moment to say
   * so. One left running after that is settled by its handler if it ends before the process does,
   * or expires and is retried by another node.
   */
  private async stopWorking(name: string, running: ReadonlySet<AbortController>): Promise<void> {
    const stopped = this.boss.offWork(name, { wait: true }).then(
      () => 'stopped' as const,
      (error: unknown) => this.logger.warn({ err: error, job: name }, 'stopping a job worker failed'),
    );
    const within = async (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), ms);
      });
      try {
        return await Promise.race([stopped, late]);
      } finally {
        clearTimeout(timer);
      }
    };
    const deadline = this.stopDeadline();
    const waitMs = Math.max(0, deadline - Date.now());
    if ((await within(waitMs)) !== 'late') return;
    for (const abort of running) abort.abort(new Error('the node is stopping'));
    // The grace ends at one moment for all the queues stopped together, as the wait does.
    const outcome = await within(Math.max(0, deadline + abortedJobGraceMs - Date.now()));
    if (outcome === 'late') this.logger.warn({ job: name, waitedMs: waitMs }, 'jobs were still running when their worker stopped waiting for them');
  }

  /**
   * Workers stopped together (a shutdown stops every plugin's in turn, then the queue) share one
   * deadline, so the whole stop waits at most stopWaitMs however many queues have a stuck job.
   */
  private stopDeadline(): number {
    const now = Date.now();
    if (this.stopWaitUntil === undefined || now > this.stopWaitUntil + this.stopWaitMs) this.stopWaitUntil = now + this.stopWaitMs;
    return this.stopWaitUntil;
  }

  /**
   * A worker that found a job looks again as soon as it is done, instead of sleeping out the poll
   * interval, so a backlog drains at full speed; one whose look finds nothing goes back to polling
   * (and to the queue's NOTIFY). pg-boss does this on a notification; the busy workers of the queue,
   * this one among them, are marked as notified.
   */
  private fetchAgainAfterJob(name: string): void {
    for (const worker of this.boss.getWipData()) if (worker.name === name && worker.count > 0) this.boss.notifyWorker(worker.id);
  }

  /**
   * After a send of `count` jobs due now: that many of this node's idle workers of the queue fetch
   * now rather than at their next poll (a delayed job, a retry, would find nothing). Waking every
   * idle worker for each job sent all but one of them on an empty fetch: 3.8 fetches per job in the
   * workflows bench. The least recently woken go first, so a worker woken a moment ago and still
   * fetching is not the one woken for the next job.
   */
  private wakeWorkers(name: string, count: number): void {
    const idle = this.boss.getWipData().filter((worker) => worker.name === name && worker.count === 0);
    if (idle.length === 0) return;
    idle.sort((a, b) => (this.wokenAt.get(a.id) ?? 0) - (this.wokenAt.get(b.id) ?? 0));
    const now = Date.now();
    // Workers of queues stopped and started again leave their ids behind: start over now and then.
    if (this.wokenAt.size > 10_000) this.wokenAt.clear();
    for (const worker of idle.slice(0, count)) {
      this.boss.notifyWorker(worker.id);
      this.wokenAt.set(worker.id, now);
    }
  }

  /**
   * Many jobs of one queue in one statement (pg-boss `insert`): what a mass change queues after its
   * commit, where one `send` each would wait for a commit each.
   */
  async sendMany(name: string, jobs: { payload: object; group?: string; startAfterSeconds?: number }[]): Promise<void> {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown job queue "${name}"`);
    if (jobs.length === 0) return;
    const schema = queue.declaration.payloadSchema;
    if (schema) for (const job of jobs) this.validator.assert(schema, job.payload, `payload of job ${name}`);
    await this.boss.insert(
      name,
      jobs.map((job) => ({
        data: job.payload,
        startAfter: job.startAfterSeconds,
        ...(job.group ? { group: { id: job.group } } : {}),
      })),
    );
    this.wakeWorkers(name, jobs.filter((job) => !job.startAfterSeconds).length);
  }

  /** `group` puts the job in a concurrency group (see `work`'s `perGroup`). */
  async send(name: string, payload: object = {}, options: { startAfterSeconds?: number; singletonKey?: string; group?: string } = {}): Promise<string | null> {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`unknown job queue "${name}"`);
    if (queue.declaration.payloadSchema) this.validator.assert(queue.declaration.payloadSchema, payload, `payload of job ${name}`);
    const id = await this.boss.send(name, payload, {
      startAfter: options.startAfterSeconds,
      singletonKey: options.singletonKey,
      ...(options.group ? { group: { id: options.group } } : {}),
    });
    if (!options.startAfterSeconds) this.wakeWorkers(name, 1);
    return id;
  }

  /** Every queue's counts as pg-boss keeps them (queued, ready, deferred, active, failed). */
  async queueCounts(): Promise<{ name: string; queuedCount: number; readyCount: number; deferredCount: number; activeCount: number; failedCount: number }[]> {
    return this.boss.getQueues();
  }

  /** Queues a failed job again (pg-boss `retry`); false when it was not failed (or is gone). */
  async retryFailed(name: string, id: string): Promise<boolean> {
    const result = await this.boss.retry(name, id);
    return ((result as { affected?: number }).affected ?? 0) > 0;
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

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    // What the workers' stop already waited for comes off the queue's: a stuck job held shutdown for
    // the timeout twice before (20 s after the conformance fuzz). pg-boss waits at least a second.
    await this.boss.stop({ graceful: true, timeout: Math.max(this.stopDeadline() - Date.now(), 1000), close: true });
  }
}
