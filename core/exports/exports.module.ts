import { coreFragments } from '../contract/core-fragments.ts';
import type { DatabaseService } from '../db/sql-handles.ts';
import type { JobService } from '../jobs/job-service.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { ImportKinds } from '../imports/import-kinds.ts';
import { createdByOf, kindNamed, queueOrFail } from '../imports/imports.module.ts';
import type { DataFormat, JobRunStore } from '../job-runs/job-run-store.ts';
import type { JobOutcomes } from '../job-runs/job-outcomes.ts';
import type { OperationRequest } from '../plugin-api/index.ts';

export const exportQueue = 'core.export-run';

/** `POST /api/v1/exports`: the job's row, then the pg-boss job (grouped by workspace). */
export function exportsModule(deps: {
  database: Pick<DatabaseService, 'forTenant'>;
  jobs: Pick<JobService, 'send'>;
  runs: JobRunStore;
  outcomes: JobOutcomes;
  kinds: ImportKinds;
}): CoreModule {
  return {
    id: 'exports',
    openapi: coreFragments.exports,
    handlers: {
      async createExport(req: OperationRequest<{ kind: string; format?: DataFormat }>) {
        kindNamed(deps.kinds, req.body.kind, '/body/kind');
        const row = await deps.database
          .forTenant(req.tenantId as string)
          .transaction((tx) =>
            deps.runs.create(tx, { type: 'export', kind: req.body.kind, format: req.body.format ?? 'csv', createdBy: createdByOf(req.principal) ?? undefined }),
          );
        await queueOrFail(deps, row, exportQueue);
        return { status: 202, headers: { Location: `/api/v1/jobs/${row.id}` }, body: deps.runs.view(row) };
      },
    },
  };
}
