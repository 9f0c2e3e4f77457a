import type { Config } from '../../config/config.ts';
import { JobService } from '../../jobs/job-service.ts';
import type { Logger } from '../../logging/logger.ts';
import type { AjvSchemaValidator } from '../../validation/schema-validator.ts';
import { WorkerPool } from '../../workers/worker-pool.ts';
import { bootModule } from './stop-steps.ts';

/** The pg-boss job queue and the worker thread pool. */
export function startJobs(deps: { config: Config; databaseUrl: string; validator: AjvSchemaValidator; logger: Logger }) {
  const { config, logger } = deps;
  return bootModule(logger, async (onStop) => {
    const jobs = new JobService(deps.databaseUrl, deps.validator, logger, config.jobsEnabled, config.jobsPoolSize, config.shutdownTimeoutMs);
    await jobs.start();
    onStop(() => jobs.stop());
    const workers = new WorkerPool(config.workerThreads, config.workerWarmThreads);
    onStop(() => workers.close());
    return { jobs, workers };
  });
}
