import path from 'node:path';
import { S3Backend } from '../../artifacts/artifact-backends.ts';
import { ArtifactStore } from '../../artifacts/artifact-store.ts';
import { artifactsModule } from '../../artifacts/artifacts.module.ts';
import { resolveJwtSecret } from '../../auth/jwt-secret.ts';
import type { Config } from '../../config/config.ts';
import { dashboardModule } from '../../dashboard/dashboard.module.ts';
import type { Database } from '../../db/database.ts';
import { runExport } from '../../exports/export-run.ts';
import { exportQueue, exportsModule } from '../../exports/exports.module.ts';
import type { PublicLinks } from '../../http/public-links.ts';
import { ImportKinds } from '../../imports/import-kinds.ts';
import { runImport } from '../../imports/import-run.ts';
import { importQueue, importsModule } from '../../imports/imports.module.ts';
import { UploadStore } from '../../imports/upload-store.ts';
import { JobOutcomes, jobRetryLimit } from '../../job-runs/job-outcomes.ts';
import { JobRunStore } from '../../job-runs/job-run-store.ts';
import { jobRunsModule } from '../../job-runs/job-runs.module.ts';
import type { JobService } from '../../jobs/job-service.ts';
import type { Logger } from '../../logging/logger.ts';
import type { EventsService, PluginManifest } from '../../plugin-api/index.ts';
import type { CoreModule } from '../core-module.ts';
import { bootModule, type Stop } from './stop-steps.ts';

/** An upload no job names is removed after a day (its node died before the job was recorded). */
const uploadOrphanMs = 24 * 3600 * 1000;

const jobPayload = {
  type: 'object',
  required: ['tenantId', 'jobRunId'],
  properties: { tenantId: { type: 'string' }, jobRunId: { type: 'string', format: 'uuid' } },
};

/**
 * Imports, exports, the jobs contract, artifacts and the dashboard summary. Their queues are
 * declared at once; `startWorkers` runs after the plugins loaded, since the kinds come from them.
 * Fairness between workspaces: each node runs two import/export jobs at once, at most one per
 * workspace (pg-boss groups), and imports commit in batches of 500 rows.
 */
export function startWorkspaceJobs(deps: {
  config: Config;
  database: Database;
  jobs: JobService;
  events: EventsService;
  links: PublicLinks;
  logger: Logger;
  loaded: () => PluginManifest[];
}) {
  const { config, database, jobs, logger } = deps;
  return bootModule(logger, async (onStop) => {
    const artifacts = new ArtifactStore(
      path.join(config.dataDir, 'artifacts'),
      await resolveJwtSecret(config, logger),
      database.platform,
      config.artifactsS3 ? new S3Backend(config.artifactsS3) : undefined,
    );
    const uploads = new UploadStore(path.join(config.dataDir, 'uploads'));
    const runs = new JobRunStore(database, artifacts, (link) => deps.links.absoluteUrl(link));
    const outcomes = new JobOutcomes(database, runs, deps.events);
    const kinds = new ImportKinds(deps.loaded);
    const run = { database, runs, outcomes, artifacts, uploads, kinds };
    const retry = { limit: jobRetryLimit, delaySeconds: 10, backoff: true };
    for (const name of ['import-run', 'export-run']) onStop(await jobs.declare('core', { name, payloadSchema: jobPayload, retry, expireInSeconds: 4 * 3600 }));
    // Hourly: expired artifacts, and uploads no job names.
    onStop(await jobs.declare('core', { name: 'artifact-sweep', schedule: '17 * * * *' }));
    const modules: CoreModule[] = [
      artifactsModule({ store: artifacts }),
      jobRunsModule({ database, runs }),
      importsModule({ database, jobs, runs, outcomes, uploads, kinds }),
      exportsModule({ database, jobs, runs, outcomes, kinds }),
      dashboardModule({ database, loaded: deps.loaded, logger }),
    ];
    return {
      modules,
      /** Starts consuming the queues; returns the undo. */
      async startWorkers(): Promise<Stop> {
        const fair = { concurrency: 2, perGroup: 1 };
        const stops = [
          await jobs.work(importQueue, (payload, job) => runImport(run, payload, job), fair),
          await jobs.work(exportQueue, (payload, job) => runExport(run, payload, job), fair),
          await jobs.work(
            'core.artifact-sweep',
            async () => {
              await artifacts.sweep();
              // Uploads are looked up across workspaces: the sweep serves them all.
              const inUse = await database.platform.query<{ input_file: string }>('SELECT input_file FROM core_job_run WHERE input_file IS NOT NULL');
              await uploads.sweep(new Set(inUse.map((row) => row.input_file)), uploadOrphanMs);
            },
            { concurrency: 1 },
          ),
        ];
        return async () => {
          for (const stop of stops.reverse()) await stop();
        };
      },
    };
  });
}
